// A TCP port on 127.0.0.1 that nothing listens on right now, below the kernel's ephemeral range:
// a port from that range (what bind(0) hands out) may be given to some process's outgoing
// connection before the server it was picked for binds it. The chaos run's brokers, which
// connect to each other while they start, lost such a race ("Address already in use").
#pragma once

#include <cstdint>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

namespace drover::testing {

namespace detail {

/// Binds a socket to `port` (0: the kernel's pick) and returns the port bound, 0 if none.
inline uint16_t bind_probe(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    bound = ntohs(address.sin_port);
  }
  ::close(fd);
  return bound;
}

}  // namespace detail

inline uint16_t free_port() {
  constexpr int kLowest = 10000;  // clear of well-known and registered services
  int ephemeral_start = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_start;
  if (ephemeral_start > kLowest + 1000) {
    static thread_local std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(kLowest, ephemeral_start - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (const uint16_t port = detail::bind_probe(static_cast<uint16_t>(pick(random)))) {
        return port;
      }
    }
  }
  return detail::bind_probe(0);
}

}  // namespace drover::testing
