#include "inputs/events/events_input.h"

#include "agent/json_escape.h"
#include "config/config_error.h"
#include "inputs/events/http_request.h"
#include "inputs/events/ndjson_events.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <arpa/inet.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace drover::inputs {
namespace {

constexpr uint64_t kHttpListener = ~uint64_t{0};
constexpr uint64_t kSocketListener = kHttpListener - 1;
constexpr uint64_t kWake = kHttpListener - 2;
constexpr size_t kReadBytes = 256 * 1024;
// A stream whose events found no room is tried again this often (it is not read meanwhile).
constexpr auto kStreamRetry = std::chrono::milliseconds(20);
constexpr std::string_view kEndpoint = "/v1/events";

std::string json_string(std::string_view text) {
  std::string out = "\"";
  append_json_escaped(out, text);
  out += '"';
  return out;
}

std::string error_body(std::string_view error) {
  return fmt::format("{{\"accepted\":0,\"error\":{}}}", json_string(error));
}

/// The sending process of a Unix socket connection, for the records' origin and the logs.
std::string unix_peer_of(int fd, uint64_t connection) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return fmt::format("unix:#{}", connection);
  }
  return fmt::format("unix:pid {} uid {} #{}", credentials.pid, credentials.uid, connection);
}

std::string peer_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  char ip[INET_ADDRSTRLEN] = "?";
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    ::inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
  }
  return fmt::format("{}:{}", ip, ntohs(address.sin_port));
}

}  // namespace

/// Completed acknowledgements, handed from output threads to the input's thread.
class EventsInput::AckWaiter final : public AckReceiver {
 public:
  AckWaiter() : wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  void on_batch_safe(uint64_t ticket) override {
    std::lock_guard lock(mutex_);
    done_.push_back(ticket);
    wake();
  }
  void wake() const {
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
  std::vector<uint64_t> take() {
    uint64_t count = 0;
    (void)!::read(wake_.get(), &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(done_, {});
  }
  int fd() const { return wake_.get(); }

 private:
  UniqueFd wake_;
  std::mutex mutex_;
  std::vector<uint64_t> done_;
};

struct EventsInput::Connection {
  uint64_t id = 0;
  UniqueFd fd;
  bool http = true;  // else an NDJSON stream from the Unix socket
  std::shared_ptr<const SourceInfo> source;
  std::unique_ptr<RecordEncoder> encoder;
  std::string in;                          // HTTP: received, not yet answered
  uint64_t in_position = 0;                // HTTP: where in[0] is in the connection
  std::unique_ptr<LineSplitter> splitter;  // stream
  std::shared_ptr<Batch> pending;          // stream: read, not yet queued
  std::string out;
  std::optional<uint64_t> waiting_ticket;
  bool continue_sent = false;
  bool close_after_write = false;
  bool peer_closed = false;
  bool broken = false;
  uint32_t watched = 0;  // the epoll events registered; 0: not in the epoll set
};

EventsInput::EventsInput(EventsInputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      acks_(std::make_shared<AckWaiter>()),
      parser_(config_.json) {
  std::vector<std::string> problems;
  const auto add = [&](int fd, uint64_t id) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event);
  };
  if (!config_.listen.empty()) {
    auto listener = listen_tcp(config_.listen);
    if (listener) {
      http_listener_ = std::move(*listener);
      add(http_listener_->fd.get(), kHttpListener);
    } else {
      problems.push_back(
          fmt::format("inputs.{}.listen: {}", context_.name, listener.error().message));
    }
  }
  if (!config_.socket.empty()) {
    auto listener = listen_unix(config_.socket, config_.socket_mode);
    if (listener) {
      socket_listener_ = std::move(*listener);
      add(socket_listener_->fd.get(), kSocketListener);
    } else {
      problems.push_back(
          fmt::format("inputs.{}.socket: {}", context_.name, listener.error().message));
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  add(acks_->fd(), kWake);
  Metrics& m = *context_.metrics;
  const Labels labels{{"input", context_.name}};
  counters_ = {&m.counter("drover_input_records_total", labels),
               &m.counter("drover_input_bytes_total", labels),
               &m.counter("drover_input_json_invalid_total", labels),
               &m.counter("drover_input_truncated_lines_total", labels),
               &m.counter("drover_events_connections", labels),
               &m.counter("drover_events_refused_connections_total", labels),
               &m.counter("drover_input_dropped_records_total",
                          {{"input", context_.name}, {"reason", "stopping"}})};
  read_buffer_.resize(kReadBytes);
  spdlog::info("input {}: events on {}{}{} (ack = {})", context_.name,
               http_listener_ ? fmt::format("http://{}{}", http_listener_->address, kEndpoint)
                              : std::string(),
               http_listener_ && socket_listener_ ? " and " : "",
               socket_listener_ ? "unix:" + socket_listener_->address : std::string(),
               name_of(config_.ack));
}

EventsInput::~EventsInput() {
  if (socket_listener_) ::unlink(socket_listener_->address.c_str());
}

Counter& EventsInput::requests_with_status(int status) {
  Counter*& counter = requests_by_status_[status];
  if (counter == nullptr) {
    counter =
        &context_.metrics->counter("drover_events_requests_total",
                                   {{"input", context_.name}, {"code", std::to_string(status)}});
  }
  return *counter;
}

Status EventsInput::run(BatchSink& out, std::stop_token stop) {
  out_ = &out;
  stop_ = stop;
  std::stop_callback wake_on_stop(stop, [this] { acks_->wake(); });
  epoll_event events[64];
  while (!stop.stop_requested()) {
    const int timeout = static_cast<int>(next_wake(Clock::now()).count());
    const int ready = ::epoll_wait(epoll_.get(), events, std::size(events), timeout);
    if (ready < 0 && errno != EINTR) return errno_error("epoll_wait for input", context_.name);
    for (int i = 0; i < std::max(ready, 0); ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWake) {
        answer_acknowledged();
      } else if (id == kHttpListener || id == kSocketListener) {
        accept_all(id == kHttpListener ? http_listener_->fd.get() : socket_listener_->fd.get(),
                   id == kHttpListener);
      } else if (auto it = connections_.find(id); it != connections_.end()) {
        Connection& connection = *it->second;
        if ((events[i].events & EPOLLOUT) != 0) flush_output(connection);
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !connection.broken) {
          on_readable(connection);
        }
        if (finished(connection)) {
          close_connection(id);
        } else {
          watch(connection);
        }
      }
    }
    std::vector<uint64_t> retry;
    for (const auto& [id, connection] : connections_) {
      if (connection->pending) retry.push_back(id);
    }
    for (uint64_t id : retry) {
      Connection& connection = *connections_.at(id);
      if (!push_stream(connection)) continue;
      if (connection.peer_closed) {
        close_connection(id);
      } else {
        watch(connection);
      }
    }
    expire_waits(Clock::now());
  }

  // Stopping: what streams sent is queued if there is room (on disk too); waiting requests are
  // told their events are queued, not yet acknowledged.
  size_t unqueued = 0;
  for (auto& [id, connection] : connections_) {
    if (connection->pending && !push_stream(*connection)) {
      unqueued += connection->pending->record_count();
    }
  }
  if (unqueued > 0) {
    counters_.dropped_at_stop->add(unqueued);
    spdlog::warn(
        "input {}: stopping with no room in the queues for {} event(s) read from the "
        "Unix socket; they are not shipped",
        context_.name, unqueued);
  }
  for (auto& [ticket, waiting] : waiting_) {
    auto it = connections_.find(waiting.connection);
    if (it == connections_.end()) continue;
    it->second->waiting_ticket.reset();
    reply(*it->second, 503,
          fmt::format("{{\"accepted\":{},\"error\":\"drover is stopping before the events were "
                      "{}; they are queued and will be sent (a retry may duplicate them)\"}}",
                      waiting.events, name_of(waiting.level)),
          false, 1);
  }
  waiting_.clear();
  while (!connections_.empty()) close_connection(connections_.begin()->first);
  return Status::ok();
}

std::chrono::milliseconds EventsInput::next_wake(Clock::time_point now) const {
  for (const auto& [id, connection] : connections_) {
    if (connection->pending) return kStreamRetry;
  }
  if (waiting_.empty()) return std::chrono::milliseconds(-1);
  Clock::time_point first = Clock::time_point::max();
  for (const auto& [ticket, waiting] : waiting_) first = std::min(first, waiting.deadline);
  if (first <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(first - now);
}

void EventsInput::accept_all(int listener_fd, bool http) {
  while (true) {
    UniqueFd fd(::accept4(listener_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (auto suppressed = refused_log_.allow()) {
          spdlog::warn("input {}: cannot accept a connection: {}", context_.name,
                       std::strerror(errno));
        }
      }
      return;
    }
    if (connections_.size() >= config_.max_connections) {
      counters_.refused_connections->add();
      if (auto suppressed = refused_log_.allow()) {
        spdlog::warn("input {}: refused a connection: max_connections ({}) are open{}",
                     context_.name, config_.max_connections,
                     *suppressed ? fmt::format(" ({} more refused)", *suppressed) : "");
      }
      continue;  // closed
    }
    auto connection = std::make_unique<Connection>();
    connection->id = next_connection_++;
    connection->http = http;
    if (http) {
      const int on = 1;  // replies are small and awaited: never hold one back
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    connection->source = std::make_shared<SourceInfo>(
        SourceInfo{context_.name, context_.host,
                   http ? "http:" + peer_of(fd.get()) : unix_peer_of(fd.get(), connection->id)});
    connection->encoder = std::make_unique<RecordEncoder>(config_.codec, *connection->source,
                                                          InvalidUtf8::kReplace, false);
    if (!http) connection->splitter = std::make_unique<LineSplitter>(0, config_.max_event_bytes);
    connection->fd = std::move(fd);
    Connection& added = *connection;
    connections_.emplace(added.id, std::move(connection));
    counters_.connections->set(connections_.size());
    watch(added);
  }
}

bool EventsInput::finished(const Connection& connection) {
  if (connection.broken) return true;
  if (!connection.out.empty() || connection.waiting_ticket || connection.pending) return false;
  return connection.close_after_write || connection.peer_closed;
}

void EventsInput::watch(Connection& connection) {
  const bool reading =
      connection.http ? !connection.close_after_write && !connection.peer_closed &&
                            connection.in.size() <= config_.max_request_bytes + kMaxRequestHeadBytes
                      : !connection.pending && !connection.peer_closed;
  const uint32_t wanted = (reading ? EPOLLIN : 0U) | (connection.out.empty() ? 0U : EPOLLOUT);
  if (wanted == connection.watched) return;
  epoll_event event{};
  event.events = wanted;
  event.data.u64 = connection.id;
  // Not in the set at all while nothing is wanted: a hung-up peer would wake the loop forever.
  const int op = wanted == 0               ? EPOLL_CTL_DEL
                 : connection.watched == 0 ? EPOLL_CTL_ADD
                                           : EPOLL_CTL_MOD;
  ::epoll_ctl(epoll_.get(), op, connection.fd.get(), &event);
  connection.watched = wanted;
}

void EventsInput::close_connection(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  flush_output(connection);  // a last reply, if the socket takes it now
  if (connection.waiting_ticket) waiting_.erase(*connection.waiting_ticket);
  if (connection.watched != 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, connection.fd.get(), nullptr);
  }
  connections_.erase(it);
  counters_.connections->set(connections_.size());
}

void EventsInput::flush_output(Connection& connection) {
  while (!connection.out.empty() && !connection.broken) {
    const ssize_t sent =
        ::send(connection.fd.get(), connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      connection.out.erase(0, static_cast<size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // EPOLLOUT says when
    } else {
      connection.broken = true;  // the peer is gone; its replies with it
    }
  }
}

void EventsInput::on_readable(Connection& connection) {
  const ssize_t got = ::read(connection.fd.get(), read_buffer_.data(), read_buffer_.size());
  if (got < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) connection.broken = true;
    return;
  }
  const std::string_view data(read_buffer_.data(), static_cast<size_t>(got));
  if (connection.http) {
    if (got == 0) {
      // The client sends nothing more; what it sent before is still answered.
      connection.peer_closed = true;
      return;
    }
    connection.in.append(data);
    serve_http(connection);
    return;
  }
  counters_.bytes->add(data.size());
  if (!connection.pending) {
    connection.pending = std::make_shared<Batch>(connection.source, unix_ms_now());
  }
  Batch& batch = *connection.pending;
  const std::string timestamp = format_timestamp(batch.timestamp_ms());
  const auto encode = [&](const Line& line) {
    if (is_blank(line.text)) return;
    const auto encoded = connection.encoder->encode(batch, line, timestamp, &parser_);
    if (line.truncated) counters_.truncated->add();
    if (encoded.json != nullptr && !encoded.json->is_object) {
      counters_.invalid->add();
      if (auto suppressed = invalid_log_.allow()) {
        spdlog::warn("input {}: {} byte {}: not a JSON object ({}); shipped as text{}",
                     context_.name, connection.source->path, line.offset, encoded.json->error,
                     *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
    }
  };
  if (got == 0) {
    connection.splitter->flush(encode);  // the last event needs no newline
    connection.peer_closed = true;
  } else {
    connection.splitter->feed(data, encode);
  }
  push_stream(connection);
}

bool EventsInput::push_stream(Connection& connection) {
  if (!connection.pending) return true;
  if (connection.pending->empty()) {
    connection.pending.reset();
    return true;
  }
  const size_t events = connection.pending->record_count();
  // Briefly: this thread serves every connection. Not read meanwhile, the stream waits in the
  // socket and its sender blocks; that is the backpressure.
  switch (out_->push_until(connection.pending, stop_, Clock::now() + kStreamRetry)) {
    case PushResult::kQueued:
      counters_.records->add(events);
      connection.pending.reset();
      return true;
    case PushResult::kTimedOut:
    case PushResult::kStopping:
      return false;
  }
  return false;
}

void EventsInput::serve_http(Connection& connection) {
  while (!connection.waiting_ticket && !connection.close_after_write && !connection.broken &&
         !connection.in.empty()) {
    const HeadParse parse = parse_request_head(connection.in);
    if (parse.state == HeadParse::State::kIncomplete) return;
    if (parse.state == HeadParse::State::kBad) {
      reply(connection, parse.status, error_body(parse.error), false);
      connection.in.clear();
      return;
    }
    const RequestHead& head = parse.head;
    const bool keep_alive = head.keep_alive;
    if (head.content_length > config_.max_request_bytes) {
      reply(connection, 413,
            error_body(fmt::format("the body has {} bytes; this input takes at most {} "
                                   "(max_request_bytes): send fewer events per request",
                                   head.content_length, config_.max_request_bytes)),
            false);
      connection.in.clear();
      return;
    }
    const size_t total = head.head_bytes + head.content_length;
    if (connection.in.size() < total) {
      if (head.expect_continue && !connection.continue_sent) {
        connection.out += "HTTP/1.1 100 Continue\r\n\r\n";
        connection.continue_sent = true;
        flush_output(connection);
      }
      return;
    }
    const std::string_view body =
        std::string_view(connection.in).substr(head.head_bytes, head.content_length);
    counters_.bytes->add(body.size());
    if (head.path != kEndpoint) {
      reply(connection, 404,
            error_body(fmt::format("nothing at '{}': POST NDJSON events to {}",
                                   head.path.substr(0, 128), kEndpoint)),
            keep_alive);
    } else if (head.method != "POST") {
      reply(connection, 405,
            error_body(fmt::format("{} takes POST, not {}", kEndpoint, head.method.substr(0, 16))),
            keep_alive);
    } else {
      const std::string_view ack = query_value(head.query, "ack");
      const std::optional<AckLevel> level = ack.empty() ? config_.ack : ack_level_named(ack);
      if (!level) {
        reply(connection, 400,
              error_body(
                  fmt::format("ack '{}' is not accepted, durable or delivered", ack.substr(0, 32))),
              keep_alive);
      } else {
        serve_events_request(connection, *level, body, connection.in_position + head.head_bytes,
                             keep_alive);
      }
    }
    connection.in.erase(0, total);
    connection.in_position += total;
    connection.continue_sent = false;
  }
}

void EventsInput::serve_events_request(Connection& connection, AckLevel level,
                                       std::string_view body, uint64_t body_position,
                                       bool keep_alive) {
  auto batch = std::make_shared<Batch>(connection.source, unix_ms_now());
  batch->reserve(body.size() + body.size() / 2, 128);
  const std::string timestamp = format_timestamp(batch->timestamp_ms());
  const NdjsonOutcome outcome =
      encode_ndjson(body, body_position, 1, *batch, *connection.encoder, parser_, timestamp);
  if (outcome.invalid > 0) {
    counters_.invalid->add(outcome.invalid);
    std::string errors;
    for (const auto& error : outcome.first_errors) {
      if (!errors.empty()) errors += "; ";
      errors += error;
    }
    if (auto suppressed = invalid_log_.allow()) {
      spdlog::warn(
          "input {}: refused a request from {}: {} of its {} event(s) are not JSON "
          "objects: {}{}",
          context_.name, connection.source->path, outcome.invalid, outcome.events, errors,
          *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
    reply(connection, 400,
          fmt::format("{{\"accepted\":0,\"invalid\":{},\"error\":{}}}", outcome.invalid,
                      json_string("no event was taken: " + errors)),
          keep_alive);
    return;
  }
  if (outcome.events == 0) {
    reply(connection, 200, "{\"accepted\":0}", keep_alive);
    return;
  }
  const auto now = Clock::now();
  std::optional<uint64_t> ticket;
  if (level != AckLevel::kAccepted) {
    ticket = next_ticket_++;
    auto receipt = level == AckLevel::kDelivered ? std::make_shared<DeliveryReceipt>() : nullptr;
    batch->set_ack(std::make_shared<AckGroup>(acks_, *ticket, receipt));
    waiting_[*ticket] = {connection.id,      level,      outcome.events,
                         std::move(receipt), keep_alive, now + config_.ack_timeout};
    connection.waiting_ticket = ticket;
  }
  const PushResult pushed = out_->push_until(std::move(batch), stop_, now + config_.busy_timeout);
  if (pushed == PushResult::kQueued) {
    counters_.records->add(outcome.events);
    if (!ticket) {
      reply(connection, 200, fmt::format("{{\"accepted\":{}}}", outcome.events), keep_alive);
    }
    return;
  }
  if (ticket) {
    waiting_.erase(*ticket);
    connection.waiting_ticket.reset();
  }
  if (pushed == PushResult::kTimedOut) {
    reply(connection, 503,
          error_body(fmt::format("the output queues had no room for {} ms (busy_timeout); "
                                 "nothing was taken: send the request again later",
                                 config_.busy_timeout.count())),
          keep_alive, 1);
  } else {
    reply(connection, 503, error_body("drover is stopping; nothing was taken"), false, 1);
  }
}

void EventsInput::reply(Connection& connection, int status, std::string_view body, bool keep_alive,
                        int retry_after_seconds) {
  connection.out += http_response(status, body, keep_alive, retry_after_seconds);
  requests_with_status(status).add();
  if (!keep_alive) connection.close_after_write = true;
  flush_output(connection);
}

void EventsInput::answer_acknowledged() {
  for (uint64_t ticket : acks_->take()) {
    auto it = waiting_.find(ticket);
    if (it == waiting_.end()) continue;  // answered already (timed out), or its client left
    Waiting waiting = std::move(it->second);
    waiting_.erase(it);
    answer(ticket, std::move(waiting), false);
  }
}

void EventsInput::expire_waits(Clock::time_point now) {
  std::vector<uint64_t> expired;
  for (const auto& [ticket, waiting] : waiting_) {
    if (waiting.deadline <= now) expired.push_back(ticket);
  }
  for (uint64_t ticket : expired) {
    Waiting waiting = std::move(waiting_.at(ticket));
    waiting_.erase(ticket);
    answer(ticket, std::move(waiting), true);
  }
}

void EventsInput::answer(uint64_t ticket, Waiting waiting, bool timed_out) {
  auto it = connections_.find(waiting.connection);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (connection.waiting_ticket != ticket) return;
  connection.waiting_ticket.reset();
  if (timed_out) {
    reply(connection, 504,
          fmt::format("{{\"accepted\":{},\"error\":{}}}", waiting.events,
                      json_string(fmt::format(
                          "not {} within {} ms (ack_timeout); the events stay queued and will be "
                          "sent (a retry may duplicate them)",
                          name_of(waiting.level), config_.ack_timeout.count()))),
          waiting.keep_alive);
  } else if (waiting.level == AckLevel::kDurable) {
    reply(connection, 200, fmt::format("{{\"accepted\":{},\"ack\":\"durable\"}}", waiting.events),
          waiting.keep_alive);
  } else {
    auto outcomes = waiting.receipt->outcomes();
    std::stable_sort(outcomes.begin(), outcomes.end(),
                     [](const auto& a, const auto& b) { return a.record < b.record; });
    std::string body =
        fmt::format("{{\"accepted\":{},\"ack\":\"delivered\",\"records\":[", waiting.events);
    bool failed = false;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto& outcome = outcomes[i];
      if (i > 0) body += ',';
      if (outcome.error.empty()) {
        fmt::format_to(
            std::back_inserter(body),
            "{{\"record\":{},\"output\":{},\"topic\":{},\"partition\":{},\"offset\":{}}}",
            outcome.record, json_string(outcome.output), json_string(outcome.topic),
            outcome.partition, outcome.offset);
      } else {
        failed = true;
        fmt::format_to(std::back_inserter(body), "{{\"record\":{},\"output\":{},\"error\":{}}}",
                       outcome.record, json_string(outcome.output), json_string(outcome.error));
      }
    }
    body += "]}";
    reply(connection, failed ? 422 : 200, body, waiting.keep_alive);
  }
  serve_http(connection);  // requests sent behind it
  if (finished(connection)) {
    close_connection(connection.id);
  } else {
    watch(connection);
  }
}

}  // namespace drover::inputs
