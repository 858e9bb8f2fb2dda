// A listening socket and the address it is bound to, and the IPv4 "address:port" form the
// config uses for the admin endpoint and the events input.
#pragma once

#include "agent/status.h"
#include "agent/unique_fd.h"

#include <netinet/in.h>
#include <optional>
#include <string>

namespace drover {

struct Listener {
  UniqueFd fd;
  std::string address;  // as bound: "127.0.0.1:8088" (the port chosen for ":0"), or a path
};

/// "a.b.c.d:port", or nothing if it is not that.
std::optional<sockaddr_in> parse_ipv4_address(const std::string& text);

/// The IPv4 "a.b.c.d:port" of a TCP connection's other end, for logs and records' origin.
std::string tcp_peer_of(int fd);

/// Non-blocking, listening on "a.b.c.d:port"; port 0 picks a free one.
Result<Listener> listen_tcp(const std::string& address);

}  // namespace drover
