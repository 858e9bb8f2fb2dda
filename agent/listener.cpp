#include "agent/listener.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>

namespace drover {

DescriptorReserve::DescriptorReserve() : spare_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

bool DescriptorReserve::shed(int listener_fd, std::string_view refusal) {
  // Another thread may have taken the descriptor the last shed gave back: try again first.
  if (!spare_.valid()) spare_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!spare_.valid()) return false;
  spare_.reset();
  UniqueFd connection(::accept4(listener_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (connection.valid() && !refusal.empty()) {
    (void)!::send(connection.get(), refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  spare_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return connection.valid();
}

std::string tcp_peer_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  char ip[INET_ADDRSTRLEN] = "?";
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    ::inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
  }
  return fmt::format("{}:{}", ip, ntohs(address.sin_port));
}

std::optional<sockaddr_in> parse_ipv4_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  int port = -1;
  const char* end = text.data() + text.size();
  auto [parsed_end, error] = std::from_chars(text.data() + colon + 1, end, port);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (error != std::errc() || parsed_end != end || port < 0 || port > 65535 ||
      ::inet_pton(AF_INET, text.substr(0, colon).c_str(), &address.sin_addr) != 1) {
    return std::nullopt;
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

Result<Listener> listen_tcp(const std::string& text) {
  std::optional<sockaddr_in> address = parse_ipv4_address(text);
  if (!address) return Error{fmt::format("'{}' is not an IPv4 address:port", text)};
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const int on = 1;
  socklen_t size = sizeof *address;
  if (!fd.valid() || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::bind(fd.get(), reinterpret_cast<sockaddr*>(&*address), sizeof *address) != 0 ||
      ::listen(fd.get(), 1024) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&*address), &size) != 0) {
    return Error{fmt::format("cannot listen on {}: {}", text, std::strerror(errno))};
  }
  return Listener{std::move(fd),
                  fmt::format("{}:{}", text.substr(0, text.rfind(':')), ntohs(address->sin_port))};
}

}  // namespace drover
