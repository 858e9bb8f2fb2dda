#include "bench/events_clients.h"

#include "tests/support/http_client.h"
#include "tests/support/tls_client.h"
#include "tests/support/unix_client.h"

#include <fmt/format.h>

#include <stdexcept>

namespace drover::bench {
namespace {

class HttpClient final : public EventsClient {
 public:
  HttpClient(const std::string& address, bool chunked) : connection_(address), chunked_(chunked) {
    if (!connection_.connected()) throw std::runtime_error("cannot connect to " + address);
  }
  bool send(const std::string& ndjson, std::string_view ack) override {
    const std::string target = fmt::format("/v1/events?ack={}", ack);
    if (!chunked_) return connection_.post(target, ndjson).status == 200;
    // Four chunks, as a streaming client sends what it has when it has it.
    std::string request =
        "POST " + target + " HTTP/1.1\r\nHost: drover\r\nTransfer-Encoding: chunked\r\n\r\n";
    const size_t piece = ndjson.size() / 4 + 1;
    for (size_t at = 0; at < ndjson.size(); at += piece) {
      const size_t size = std::min(piece, ndjson.size() - at);
      request += fmt::format("{:x}\r\n", size);
      request.append(ndjson, at, size);
      request += "\r\n";
    }
    request += "0\r\n\r\n";
    return connection_.send_raw(request) && connection_.read_response().status == 200;
  }

 private:
  testing::HttpConnection connection_;
  bool chunked_;
};

class HttpsClient final : public EventsClient {
 public:
  HttpsClient(const std::string& address, const std::filesystem::path& ca_file)
      : connection_(address, ca_file) {
    if (!connection_.handshake_ok()) {
      throw std::runtime_error("cannot connect over TLS to " + address + ": " +
                               connection_.error());
    }
  }
  bool send(const std::string& ndjson, std::string_view ack) override {
    return connection_.post(fmt::format("/v1/events?ack={}", ack), ndjson).status == 200;
  }

 private:
  testing::HttpsConnection connection_;
};

class UnixClient final : public EventsClient {
 public:
  UnixClient(const std::filesystem::path& socket, bool batches)
      : connection_(socket.string()), batches_(batches) {
    if (!connection_.connected()) throw std::runtime_error("cannot connect to " + socket.string());
  }
  bool send(const std::string& ndjson, std::string_view ack) override {
    if (!batches_) return connection_.send(ndjson);
    if (!connection_.send(fmt::format("{{\"ack\":\"{}\"}}\n{}\n", ack, ndjson))) return false;
    return connection_.read_line().starts_with("{\"status\":200,");
  }

 private:
  testing::UnixConnection connection_;
  bool batches_;
};

}  // namespace

std::string_view name_of(Transport transport) {
  switch (transport) {
    case Transport::kHttp:
      return "HTTP keep-alive";
    case Transport::kHttpChunked:
      return "HTTP chunked";
    case Transport::kHttps:
      return "HTTPS";
    case Transport::kUnixStream:
      return "Unix socket, stream";
    case Transport::kUnixBatches:
      return "Unix socket, batches";
  }
  return "?";
}

std::unique_ptr<EventsClient> connect(Transport transport, const EventsEndpoint& endpoint) {
  switch (transport) {
    case Transport::kHttp:
    case Transport::kHttpChunked:
      return std::make_unique<HttpClient>(endpoint.http, transport == Transport::kHttpChunked);
    case Transport::kHttps:
      return std::make_unique<HttpsClient>(endpoint.http, endpoint.ca_file);
    case Transport::kUnixStream:
    case Transport::kUnixBatches:
      return std::make_unique<UnixClient>(endpoint.socket, transport == Transport::kUnixBatches);
  }
  return nullptr;
}

}  // namespace drover::bench
