// Settings of one `type = "events"` input, parsed without opening a socket.
#pragma once

#include "agent/tls_server.h"
#include "config/toml_reader.h"
#include "inputs/common/line_format.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace drover::inputs {

/// When an HTTP request is answered: once its events are queued, once every output has made
/// them safe (in Kafka, or synced to the disk queue), or once Kafka has them (the reply names
/// topic, partition and offset of each).
enum class AckLevel { kAccepted, kDurable, kDelivered };

std::optional<AckLevel> ack_level_named(std::string_view name);
std::string_view name_of(AckLevel level);

struct EventsInputConfig {
  std::string listen;           // "address:port" for HTTP; empty: no HTTP
  std::string auth_token_file;  // HTTP requests need a bearer token from it; empty: none
  // A listener other hosts reach, without tokens: refused unless this says it is meant to be.
  bool allow_unauthenticated = false;
  TlsFiles tls;  // HTTPS when set; with client_ca_file, clients need a certificate (mutual TLS)
  /// The address whose reach decides whether tokens are required ("" when they are waived, or
  /// when client certificates already say who may send).
  std::string token_listen() const {
    return allow_unauthenticated || !tls.client_ca_file.empty() ? std::string() : listen;
  }
  std::string socket;  // a Unix socket path taking NDJSON streams; empty: none
  uint32_t socket_mode = 0660;
  AckLevel ack = AckLevel::kAccepted;  // a request's `?ack=` chooses its own
  Codec codec = Codec::kJson;
  JsonParserConfig json;
  uint64_t max_request_bytes = 4 << 20;  // a larger HTTP body is refused (413)
  uint64_t max_event_bytes = 1 << 20;    // a longer line on the socket is cut (counted)
  uint64_t max_connections = 1024;
  // How long a request waits for room in the queues before it is answered 503 + Retry-After.
  std::chrono::milliseconds busy_timeout{5000};
  // How long a durable/delivered request waits for its acknowledgement before it is answered
  // 504 (its events stay queued and are delivered).
  std::chrono::milliseconds ack_timeout{30000};
  // A request's head, then its body, must arrive within these (408 otherwise): a slow or stalled
  // client cannot hold a connection and its buffer. A keep-alive connection with nothing sent
  // for idle_timeout is closed.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  // A request repeating an Idempotency-Key seen this long ago or less is not stored again: it
  // gets the first request's reply. At most this many keys are kept (the oldest go first).
  std::chrono::milliseconds idempotency_window{10 * 60 * 1000};
  uint64_t idempotency_max_keys = 10000;
};

EventsInputConfig parse_events_input_config(config::TomlReader& reader);

}  // namespace drover::inputs
