// What the events input's two files share: the state of one connection, and the hand-over of
// acknowledgements from output threads to the input's thread. Private to inputs/events.
#pragma once

#include "agent/http_request.h"
#include "agent/json_escape.h"
#include "inputs/events/events_input.h"

#include <fmt/format.h>

#include <mutex>
#include <string_view>
#include <sys/eventfd.h>
#include <unistd.h>
#include <utility>

namespace drover::inputs {

inline constexpr std::string_view kEventsEndpoint = "/v1/events";
// A stream whose events found no room is tried again this often (it is not read meanwhile).
inline constexpr auto kStreamRetry = std::chrono::milliseconds(20);
// The replies kept for Idempotency-Key repeats take at most this much memory.
inline constexpr size_t kIdempotencyMaxReplyBytes = 16 << 20;
// A socket batch's header line is at most this long.
inline constexpr size_t kMaxBatchHeaderBytes = 4096;
// epoll data of what is not a connection (connections are numbered from 0).
inline constexpr uint64_t kHttpListener = ~uint64_t{0};
inline constexpr uint64_t kSocketListener = kHttpListener - 1;
inline constexpr uint64_t kWake = kHttpListener - 2;

inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  append_json_escaped(out, text);
  out += '"';
  return out;
}

/// A reply saying nothing was taken, and why.
inline std::string error_body(std::string_view error) {
  return fmt::format("{{\"accepted\":0,\"error\":{}}}", json_string(error));
}

/// Completed acknowledgements, handed from output threads to the input's thread.
class EventsInput::AckWaiter final : public AckReceiver {
 public:
  AckWaiter() : wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  void on_batch_safe(uint64_t ticket) override {
    std::lock_guard lock(mutex_);
    done_.push_back(ticket);
    wake();
  }
  void wake() const {
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
  std::vector<uint64_t> take() {
    uint64_t count = 0;
    (void)!::read(wake_.get(), &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(done_, {});
  }
  int fd() const { return wake_.get(); }

 private:
  UniqueFd wake_;
  std::mutex mutex_;
  std::vector<uint64_t> done_;
};

struct EventsInput::Connection {
  uint64_t id = 0;
  UniqueFd fd;
  std::unique_ptr<TlsSession> tls;    // HTTPS; after fd, so the session goes before its socket
  bool tls_read_wants_write = false;  // OpenSSL's handshake waits to write before reading on
  bool tls_write_wants_read = false;  // ... or to read before writing on
  bool http = true;                   // else a Unix socket connection
  // Unix socket: an NDJSON stream with no replies, or batches each answered with a reply line
  // (decided by the connection's first line; see events_socket.cpp).
  enum class Framing : uint8_t { kUndecided, kStream, kBatches };
  Framing framing = Framing::kUndecided;
  size_t batch_scanned = 0;  // batches: how far `in` was searched for the end of the batch
  std::shared_ptr<const SourceInfo> source;
  std::unique_ptr<RecordEncoder> encoder;
  std::string in;                          // HTTP, socket batches: received, not yet answered
  std::unique_ptr<RequestReader> reader;   // HTTP
  std::unique_ptr<LineSplitter> splitter;  // stream
  std::shared_ptr<Batch> pending;          // stream: read, not yet queued
  std::string out;
  std::optional<uint64_t> waiting_ticket;
  struct Otlp {  // the request being answered came to /v1/logs: its reply is OTLP's
    size_t rejected = 0;
    std::string why;
  };
  std::optional<Otlp> otlp;
  bool continue_sent = false;
  bool close_after_write = false;
  bool peer_closed = false;
  bool broken = false;
  uint32_t watched = 0;  // the epoll events registered; 0: not in the epoll set
  // HTTP: what the connection waits for from its client, and until when (arm_timer).
  enum class Awaiting : uint8_t { kNothing, kNextRequest, kHead, kBody };
  Awaiting awaiting = Awaiting::kNothing;
  Clock::time_point deadline{};
};

}  // namespace drover::inputs
