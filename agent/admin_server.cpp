#include "agent/admin_server.h"

#include "agent/http_request.h"
#include "agent/thread_name.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace drover {
namespace {

constexpr int kClientTimeoutMs = 2000;  // a slow or idle client cannot hold the thread

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void respond(int fd, int status, std::string_view content_type, std::string_view body) {
  send_all(fd, http_response(status, content_type, body, /*keep_alive=*/false, {}));
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::start(const std::string& listen,
                                                        Handlers handlers,
                                                        std::shared_ptr<ListenerTokens> tokens,
                                                        Counter* unauthorized) {
  auto listener = listen_tcp(listen);
  if (!listener) return listener.error();
  return std::unique_ptr<AdminServer>(
      new AdminServer(std::move(listener->fd), std::move(listener->address), std::move(handlers),
                      std::move(tokens), unauthorized));
}

AdminServer::AdminServer(UniqueFd fd, std::string address, Handlers handlers,
                         std::shared_ptr<ListenerTokens> tokens, Counter* unauthorized)
    : fd_(std::move(fd)),
      address_(std::move(address)),
      handlers_(std::move(handlers)),
      tokens_(tokens ? std::move(tokens) : std::make_shared<ListenerTokens>()),
      unauthorized_(unauthorized),
      thread_([this](std::stop_token stop) { run(stop); }) {}

AdminServer::~AdminServer() {
  thread_.request_stop();
  thread_.join();
}

void AdminServer::run(std::stop_token stop) {
  name_this_thread("admin");
  // No timeout: an idle agent's admin thread must not wake (it woke 10 times a second).
  std::stop_callback wake_on_stop(stop, [this] { stop_wake_.wake(); });
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {stop_wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    const int client = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0 && out_of_descriptors(errno)) {
      const int error = errno;
      if (auto suppressed = refused_log_.allow()) {
        spdlog::warn("admin: out of file descriptors ({}; ulimit -n is {}): refused a request{}",
                     std::strerror(error), open_file_limit(),
                     *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
      if (!reserve_.shed(fd_.get(),
                         "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                         "Connection: close\r\nRetry-After: 1\r\n\r\n")) {
        ::poll(nullptr, 0, 100);  // not even the spare came back: do not spin on the listener
      }
      continue;
    }
    if (client < 0) continue;
    try {
      serve(client);
    } catch (const std::exception& e) {
      spdlog::warn("admin: request failed: {}", e.what());
    }
    ::close(client);
  }
}

void AdminServer::serve(int client) {
  RequestReader reader(/*max_body_bytes=*/0);  // GETs: nothing to read past the head
  std::string received;
  char buffer[4096];
  while (reader.state() == RequestReader::State::kHead) {
    pollfd readable{client, POLLIN, 0};
    if (::poll(&readable, 1, kClientTimeoutMs) <= 0) return;
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    received.append(buffer, static_cast<size_t>(n));
    received.erase(0, reader.feed(received));
  }
  if (reader.state() == RequestReader::State::kBad) {
    respond(client, reader.status(), "text/plain", reader.error() + "\n");
    return;
  }
  const RequestHead& head = reader.head();
  if (!tokens_->allows(head.authorization)) {
    if (unauthorized_ != nullptr) unauthorized_->add();
    if (auto suppressed = unauthorized_log_.allow()) {
      spdlog::warn("admin: refused a request from {} without a valid bearer token{}",
                   tcp_peer_of(client),
                   *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
    respond(client, 401, "text/plain",
            "a valid \"Authorization: Bearer <token>\" header is required\n");
    return;
  }
  if (head.method != "GET") {
    respond(client, 405, "text/plain", "only GET\n");
    return;
  }
  const std::string_view path = head.path;
  if (path == "/metrics") {
    respond(client, 200, "text/plain; version=0.0.4", handlers_.metrics());
  } else if (path == "/healthz") {
    const std::string problems = handlers_.problems();
    if (problems.empty()) {
      respond(client, 200, "text/plain", "ok\n");
    } else {
      respond(client, 503, "text/plain", problems);
    }
  } else if (path == "/readyz") {
    const std::string why_not = handlers_.not_ready();
    if (why_not.empty()) {
      respond(client, 200, "text/plain", "ready\n");
    } else {
      respond(client, 503, "text/plain", "not ready: " + why_not + "\n");
    }
  } else if (path == "/status") {
    respond(client, 200, "application/json", handlers_.status() + "\n");
  } else {
    respond(client, 404, "text/plain", "try /metrics, /healthz, /readyz or /status\n");
  }
}

}  // namespace drover
