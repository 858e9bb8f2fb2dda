// A listening socket and the address it is bound to, and the IPv4 "address:port" form the
// config uses for the admin endpoint and the events input.
#pragma once

#include "agent/unique_fd.h"
#include "base/status.h"

#include <netinet/in.h>
#include <optional>
#include <string>
#include <string_view>

namespace drover {

struct Listener {
  UniqueFd fd;
  std::string address;  // as bound: "127.0.0.1:8088" (the port chosen for ":0"), or a path
};

/// "a.b.c.d:port", or nothing if it is not that.
std::optional<sockaddr_in> parse_ipv4_address(const std::string& text);

/// The IPv4 "a.b.c.d:port" of a TCP connection's other end, for logs and records' origin.
std::string tcp_peer_of(int fd);

/// One descriptor held back for the moment the process has none left (EMFILE): a listener
/// whose accept() fails so stays readable, and its thread would spin. shed() spends the spare
/// on the waiting connection, answers it `refusal` (e.g. an HTTP 503) and closes it, then takes
/// the spare back: the client hears why, and the thread waits again.
class DescriptorReserve {
 public:
  DescriptorReserve();
  /// After accept() on `listener_fd` failed with EMFILE or ENFILE; true if a connection was
  /// shed. False when even the spare is gone (other threads took every descriptor): then the
  /// caller stops watching the listener for a moment instead of spinning on it.
  bool shed(int listener_fd, std::string_view refusal);

 private:
  UniqueFd spare_;
};

/// Non-blocking, listening on "a.b.c.d:port"; port 0 picks a free one.
Result<Listener> listen_tcp(const std::string& address);

}  // namespace drover
