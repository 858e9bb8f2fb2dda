// The events input, accepting connections: each gets its encoder and its reader (HTTP) or line
// splitter (Unix socket); when descriptors run out, a spare one answers and closes the newcomer
// (503) rather than leave it in the backlog, or the listeners rest a moment.
#include "agent/http_request.h"
#include "inputs/events/events_connection.h"
#include "inputs/events/events_input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace drover::inputs {
namespace {

// Out of descriptors with nothing to shed: how long the listeners are left alone.
constexpr auto kListenerPause = std::chrono::milliseconds(200);

/// The sending process of a Unix socket connection, for the records' origin and the logs.
std::string unix_peer_of(int fd, uint64_t connection) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return fmt::format("unix:#{}", connection);
  }
  return fmt::format("unix:pid {} uid {} #{}", credentials.pid, credentials.uid, connection);
}

}  // namespace

void EventsInput::accept_all(int listener_fd, bool http) {
  while (true) {
    UniqueFd fd(::accept4(listener_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (out_of_descriptors(errno)) {
        const int error = errno;
        // Answered and closed rather than left waiting: the listener would stay readable.
        const bool shed = reserve_.shed(
            listener_fd, http ? http_response(503,
                                              R"({"accepted":0,"error":"drover is out of file )"
                                              R"(descriptors; try again"})",
                                              false, 1)
                              : std::string());
        if (shed) counters_.refused_connections->add();
        if (auto suppressed = refused_log_.allow()) {
          spdlog::warn(
              "input {}: out of file descriptors ({}; ulimit -n is {}, {} connection(s) open): "
              "refused a connection{}; raise LimitNOFILE or lower max_connections",
              context_.name, std::strerror(error), open_file_limit(), connections_.size(),
              *suppressed ? fmt::format(" ({} more refused)", *suppressed) : "");
        }
        if (shed) continue;
        // Not even the spare is left: connections wait in the backlog a moment.
        pause_listeners(Clock::now() + kListenerPause);
        return;
      }
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
    if (http && tls_) {
      connection->tls = tls_->session(fd.get());
      if (!connection->tls) continue;  // out of memory in OpenSSL: closed
    }
    connection->source = std::make_shared<SourceInfo>(
        SourceInfo{context_.name, context_.host,
                   http ? (tls_ ? "https:" : "http:") + tcp_peer_of(fd.get())
                        : unix_peer_of(fd.get(), connection->id)});
    connection->encoder = std::make_unique<RecordEncoder>(config_.codec, *connection->source,
                                                          InvalidUtf8::kReplace, false);
    if (http) {
      connection->reader = std::make_unique<RequestReader>(config_.max_request_bytes);
    } else {
      connection->splitter = std::make_unique<LineSplitter>(0, config_.max_event_bytes);
    }
    connection->fd = std::move(fd);
    Connection& added = *connection;
    connections_.emplace(added.id, std::move(connection));
    counters_.connections->set(connections_.size());
    watch(added);
  }
}

void EventsInput::pause_listeners(Clock::time_point until) {
  for (const auto& [listener, id] :
       {std::pair{&http_listener_, kHttpListener}, std::pair{&socket_listener_, kSocketListener}}) {
    if (!*listener) continue;
    epoll_event event{};  // registered, but reporting nothing
    event.data.u64 = id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, (*listener)->fd.get(), &event);
  }
  listeners_paused_until_ = until;
}

void EventsInput::resume_listeners() {
  for (const auto& [listener, id] :
       {std::pair{&http_listener_, kHttpListener}, std::pair{&socket_listener_, kSocketListener}}) {
    if (!*listener) continue;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, (*listener)->fd.get(), &event);
  }
  listeners_paused_until_.reset();
}

}  // namespace drover::inputs
