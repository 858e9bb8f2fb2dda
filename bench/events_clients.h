// The bench's clients of drover's events input, one per transport: HTTP keep-alive (a
// Content-Length body), HTTP chunked, HTTPS, the Unix socket as an NDJSON stream (no replies)
// and as batches with a reply each. A client sends requests of NDJSON one after the other.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace drover::bench {

enum class Transport { kHttp, kHttpChunked, kHttps, kUnixStream, kUnixBatches };

std::string_view name_of(Transport transport);

/// Where drover listens.
struct EventsEndpoint {
  std::string http;               // address:port; HTTPS when `ca_file` is set
  std::filesystem::path socket;   // the Unix socket
  std::filesystem::path ca_file;  // trusts drover's certificate
};

class EventsClient {
 public:
  virtual ~EventsClient() = default;
  /// Sends `ndjson` at `ack` and waits for the reply (a stream has none): false unless it was
  /// taken (200).
  virtual bool send(const std::string& ndjson, std::string_view ack) = 0;
};

/// Throws if it cannot connect.
std::unique_ptr<EventsClient> connect(Transport transport, const EventsEndpoint& endpoint);

}  // namespace drover::bench
