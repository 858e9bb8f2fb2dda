// The events input over HTTPS: reading a connection through its TLS session. The handshake
// happens within the first reads; one that fails is counted and logged (rate-limited) with
// OpenSSL's reason, e.g. a client without the certificate mutual TLS asks for.
#include "inputs/events/events_connection.h"
#include "inputs/events/events_input.h"

#include <spdlog/spdlog.h>

#include <sys/socket.h>

namespace drover::inputs {
namespace {

// Read per turn of the loop at most: one connection cannot keep the others waiting. What
// OpenSSL holds beyond that is read in the next turn (EventsInput::run asks has_buffered()).
constexpr size_t kTlsReadBytesPerTurn = 1 << 20;

}  // namespace

void EventsInput::read_tls(Connection& connection) {
  connection.tls_read_wants_write = false;
  if (!connection.tls->handshake_done()) {
    // A port probe (a load balancer's health check) connects and leaves without a byte: not a
    // failed handshake.
    char byte;
    if (::recv(connection.fd.get(), &byte, 1, MSG_PEEK) == 0) {
      connection.peer_closed = true;
      return;
    }
  }
  size_t taken = 0;
  while (taken < kTlsReadBytesPerTurn) {
    const auto [io, bytes] = connection.tls->read(read_buffer_.data(), read_buffer_.size());
    if (io == TlsSession::Io::kDone) {
      connection.in.append(read_buffer_.data(), bytes);
      taken += bytes;
      continue;
    }
    if (io == TlsSession::Io::kWantWrite) connection.tls_read_wants_write = true;
    if (io == TlsSession::Io::kClosed) connection.peer_closed = true;
    if (io == TlsSession::Io::kFailed) {
      if (!connection.tls->handshake_done()) {
        counters_.tls_handshake_failures->add();
        if (auto suppressed = tls_log_.allow()) {
          spdlog::warn("input {}: TLS handshake with {} failed: {}{}", context_.name,
                       connection.source->path, connection.tls->error(),
                       *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
        }
      }
      connection.broken = true;
      return;
    }
    break;
  }
  if (taken > 0) serve_http(connection);
  // The handshake's replies are written by OpenSSL itself within read(); replies to requests
  // go out through flush_output.
}

}  // namespace drover::inputs
