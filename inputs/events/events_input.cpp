#include "inputs/events/events_input.h"

#include "agent/http_request.h"
#include "config/config_error.h"
#include "inputs/events/events_connection.h"
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

constexpr size_t kReadBytes = 256 * 1024;

}  // namespace

EventsInput::EventsInput(EventsInputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      acks_(std::make_shared<AckWaiter>()),
      parser_(config_.json),
      idempotency_(config_.idempotency_window, config_.idempotency_max_keys,
                   kIdempotencyMaxReplyBytes) {
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
  if (auto tokens = ListenerTokens::open(config_.token_listen(), config_.auth_token_file,
                                         fmt::format("inputs.{}.auth_token_file", context_.name));
      tokens) {
    tokens_ = std::move(*tokens);
  } else {
    problems.push_back(tokens.error().message);
  }
  if (config_.tls.enabled()) {
    if (auto tls = TlsServerContext::open(config_.tls, fmt::format("inputs.{}.tls", context_.name));
        tls) {
      tls_ = std::move(*tls);
    } else {
      problems.push_back(tls.error().message);
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
                          {{"input", context_.name}, {"reason", "stopping"}}),
               &m.counter("drover_events_idle_closed_total", labels),
               &m.counter("drover_events_idempotent_repeats_total",
                          {{"input", context_.name}, {"first", "answered"}}),
               &m.counter("drover_events_idempotent_repeats_total",
                          {{"input", context_.name}, {"first", "waiting"}}),
               &m.counter("drover_events_idempotency_evicted_total", labels),
               &m.counter("drover_events_tls_handshake_failures_total", labels),
               &m.counter("drover_events_otlp_rejected_records_total", labels)};
  read_buffer_.resize(kReadBytes);
  spdlog::info(
      "input {}: events on {}{}{} (ack = {})", context_.name,
      http_listener_
          ? fmt::format("{}://{}{}{}", tls_ ? "https" : "http", http_listener_->address,
                        kEventsEndpoint,
                        config_.tls.client_ca_file.empty() ? "" : " (client certificates required)")
          : std::string(),
      http_listener_ && socket_listener_ ? " and " : "",
      socket_listener_ ? "unix:" + socket_listener_->address : std::string(), name_of(config_.ack));
}

EventsInput::~EventsInput() {
  if (socket_listener_) ::unlink(socket_listener_->address.c_str());
}

Status EventsInput::reread_files() {
  Status tokens = tokens_->reread();
  Status tls = tls_ ? tls_->reread() : Status::ok();
  if (tokens && tls) return Status::ok();
  if (!tokens && !tls) return Error{tokens.error().message + "; " + tls.error().message};
  return tokens ? tls : tokens;
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
    if (listeners_paused_until_ && Clock::now() >= *listeners_paused_until_) resume_listeners();
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
        const bool readable = (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
        const bool writable = (events[i].events & EPOLLOUT) != 0;
        if (writable || (readable && connection.tls_write_wants_read)) flush_output(connection);
        if ((readable || (writable && connection.tls_read_wants_write)) && !connection.broken) {
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
    std::vector<uint64_t> tls_buffered;  // decrypted, unread: epoll will not say so
    for (const auto& [id, connection] : connections_) {
      if (connection->pending) retry.push_back(id);
      if (connection->tls && (connection->watched & EPOLLIN) != 0 &&
          connection->tls->has_buffered()) {
        tls_buffered.push_back(id);
      }
    }
    for (uint64_t id : tls_buffered) {
      Connection& connection = *connections_.at(id);
      on_readable(connection);
      if (finished(connection)) {
        close_connection(id);
      } else {
        watch(connection);
      }
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
    expire_connections(Clock::now());
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
    for (const Waiter& waiter : waiting.waiters) {
      auto it = connections_.find(waiter.connection);
      if (it == connections_.end() || it->second->waiting_ticket != ticket) continue;
      it->second->waiting_ticket.reset();
      reply(*it->second, 503,
            fmt::format("{{\"accepted\":{},\"error\":\"drover is stopping before the events "
                        "were {}; they are queued and will be sent (a retry may duplicate "
                        "them)\"}}",
                        waiting.events, name_of(waiting.level)),
            false, 1);
    }
  }
  waiting_.clear();
  while (!connections_.empty()) close_connection(connections_.begin()->first);
  return Status::ok();
}

std::chrono::milliseconds EventsInput::next_wake(Clock::time_point now) const {
  for (const auto& [id, connection] : connections_) {
    if (connection->pending) return kStreamRetry;
  }
  Clock::time_point first = listeners_paused_until_.value_or(Clock::time_point::max());
  if (http_listener_ && !connections_.empty()) first = std::min(first, next_timer_scan_);
  if (first == Clock::time_point::max() && waiting_.empty()) return std::chrono::milliseconds(-1);
  for (const auto& [ticket, waiting] : waiting_) {
    for (const Waiter& waiter : waiting.waiters) first = std::min(first, waiter.deadline);
  }
  if (first <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(first - now);
}

bool EventsInput::finished(const Connection& connection) {
  if (connection.broken) return true;
  if (!connection.out.empty() || connection.waiting_ticket || connection.pending) return false;
  return connection.close_after_write || connection.peer_closed;
}

void EventsInput::watch(Connection& connection) {
  if (connection.http) arm_timer(connection, Clock::now());
  const bool reading =
      connection.http ? !connection.close_after_write && !connection.peer_closed &&
                            connection.in.size() <= config_.max_request_bytes + kMaxRequestHeadBytes
      : connection.framing == Connection::Framing::kBatches
          ? !connection.close_after_write && !connection.peer_closed &&
                connection.in.size() <= config_.max_request_bytes + 2 * kMaxBatchHeaderBytes
          : !connection.pending && !connection.peer_closed;
  const uint32_t wanted =
      (reading || connection.tls_write_wants_read ? EPOLLIN : 0U) |
      (connection.out.empty() && !connection.tls_read_wants_write ? 0U : EPOLLOUT);
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
  stop_waiting(connection);
  if (connection.watched != 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, connection.fd.get(), nullptr);
  }
  connections_.erase(it);
  counters_.connections->set(connections_.size());
}

void EventsInput::flush_output(Connection& connection) {
  connection.tls_write_wants_read = false;
  while (connection.tls && !connection.out.empty() && !connection.broken) {
    const auto [io, bytes] = connection.tls->write(connection.out.data(), connection.out.size());
    switch (io) {
      case TlsSession::Io::kDone:
        connection.out.erase(0, bytes);
        break;
      case TlsSession::Io::kWantWrite:
        return;  // EPOLLOUT says when
      case TlsSession::Io::kWantRead:
        connection.tls_write_wants_read = true;
        return;
      case TlsSession::Io::kClosed:
      case TlsSession::Io::kFailed:
        connection.broken = true;
        break;
    }
  }
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
  if (connection.tls) {
    read_tls(connection);
    return;
  }
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
  on_socket_data(connection, data, got == 0);
}

}  // namespace drover::inputs
