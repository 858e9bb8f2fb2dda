#include "agent/admin_client.h"

#include "agent/listener.h"
#include "agent/unique_fd.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace drover {

Result<AdminReply> admin_get(const std::string& address, const std::string& path,
                             const std::string& token, std::chrono::milliseconds timeout) {
  std::optional<sockaddr_in> server = parse_ipv4_address(address);
  if (!server) return Error{fmt::format("'{}' is not an IPv4 address:port", address)};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto wait = [&](short events, int fd) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count()))) > 0;
  };
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&*server), sizeof *server) != 0 &&
      errno != EINPROGRESS) {
    return Error{fmt::format("cannot reach drover's admin endpoint at {}: {}", address,
                             std::strerror(errno))};
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (!wait(POLLOUT, fd.get()) ||
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
    return Error{fmt::format("cannot reach drover's admin endpoint at {}: {}", address,
                             error != 0 ? std::strerror(error) : "timed out")};
  }
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: drover\r\n{}\r\n", path,
                  token.empty() ? "" : fmt::format("Authorization: Bearer {}\r\n", token));
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return Error{fmt::format("cannot send to {}: {}", address, std::strerror(errno))};
  }
  std::string response;
  char buffer[16384];
  while (true) {
    if (!wait(POLLIN, fd.get())) {
      return Error{fmt::format("drover's admin endpoint at {} did not answer in time", address)};
    }
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // one request per connection: the server closes after its reply
    response.append(buffer, static_cast<size_t>(n));
  }
  const size_t body = response.find("\r\n\r\n");
  if (response.size() < 12 || !response.starts_with("HTTP/1.") || body == std::string::npos) {
    return Error{fmt::format("{} answered something that is not HTTP", address)};
  }
  return AdminReply{std::atoi(response.c_str() + 9), response.substr(body + 4)};
}

}  // namespace drover
