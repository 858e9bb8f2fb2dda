#include "outputs/kafka/tcp_forwarder.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace drover::outputs {
namespace {

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<TcpForwarder>> TcpForwarder::start(uint16_t listen_port,
                                                          const std::string& target) {
  const size_t colon = target.rfind(':');
  in_addr target_ip{};
  if (colon == std::string::npos ||
      ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &target_ip) != 1) {
    return Error{fmt::format("cannot forward to '{}': not an IPv4 host:port", target)};
  }
  const auto target_port = static_cast<uint16_t>(std::stoi(target.substr(colon + 1)));

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(listen_port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 16) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{
        fmt::format("cannot listen on 127.0.0.1:{}: {}", listen_port, std::strerror(error))};
  }
  std::array<int, 2> wake{};
  if (::pipe2(wake.data(), O_CLOEXEC) != 0) {
    ::close(fd);
    return Error{fmt::format("pipe: {}", std::strerror(errno))};
  }
  return std::unique_ptr<TcpForwarder>(
      new TcpForwarder(fd, wake[0], wake[1], target_ip.s_addr, target_port));
}

TcpForwarder::TcpForwarder(int listen_fd, int wake_read, int wake_write, uint32_t target_ip,
                           uint16_t target_port)
    : listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      target_ip_(target_ip),
      target_port_(target_port),
      thread_([this](std::stop_token stop) { run(stop); }) {}

TcpForwarder::~TcpForwarder() {
  thread_.request_stop();
  const char byte = 0;
  (void)!::write(wake_write_, &byte, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void TcpForwarder::run(std::stop_token stop) {
  std::map<int, int> peer;  // each side of a forwarded connection → the other side
  std::vector<char> buffer(64 << 10);
  const auto close_pair = [&](int fd) {
    const int other = peer[fd];
    peer.erase(fd);
    peer.erase(other);
    ::close(fd);
    ::close(other);
  };
  while (!stop.stop_requested()) {
    std::vector<pollfd> fds{{wake_read_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, other] : peer) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    if ((fds[1].revents & POLLIN) != 0) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(target_port_);
        address.sin_addr.s_addr = target_ip_;
        if (upstream >= 0 &&
            ::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
          peer[client] = upstream;
          peer[upstream] = client;
        } else {
          ::close(client);
          if (upstream >= 0) ::close(upstream);
        }
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0 || peer.count(fds[i].fd) == 0) continue;
      const ssize_t n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
      if (n <= 0 || !write_all(peer[fds[i].fd], buffer.data(), static_cast<size_t>(n))) {
        close_pair(fds[i].fd);
      }
    }
  }
  for (const auto& [fd, other] : peer) ::close(fd);
}

}  // namespace drover::outputs
