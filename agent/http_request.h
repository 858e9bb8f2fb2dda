// HTTP/1.x requests read from a connection's received bytes, one after another, with
// Boost.Beast's parser: bodies sent with Content-Length or chunked, Expect: 100-continue,
// keep-alive, pipelined requests and HTTP/1.0. Shared by the events input and the admin
// endpoint; neither parses HTTP itself. Also the responses both send.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace drover {

inline constexpr size_t kMaxRequestHeadBytes = 16 * 1024;

struct RequestHead {
  std::string_view method;
  std::string_view path;                   // the target before '?'
  std::string_view query;                  // after '?', or empty
  std::optional<uint64_t> content_length;  // none when the body is chunked, or absent
  bool chunked = false;
  bool keep_alive = true;
  bool expect_continue = false;
  std::optional<std::string_view> authorization;    // the Authorization header's value
  std::optional<std::string_view> idempotency_key;  // the Idempotency-Key header's value
  std::string_view content_type;
  std::string_view content_encoding;
};

class RequestReader {
 public:
  /// A body longer than `max_body_bytes` is refused with 413.
  explicit RequestReader(uint64_t max_body_bytes);
  ~RequestReader();
  RequestReader(RequestReader&&) noexcept;
  RequestReader& operator=(RequestReader&&) noexcept;

  enum class State {
    kHead,      // the head is not whole yet
    kBody,      // head() is read; the body is still coming
    kComplete,  // head() and body() are read
    kBad,       // status() and error() say why; the connection should close after the reply
  };
  /// Reads what it can from the front of `bytes` and returns how many bytes it took; the
  /// caller drops them. A body sent with Content-Length is not taken: the caller reads it from
  /// its own buffer (no copy) once body_bytes() of it are there, then calls next().
  size_t feed(std::string_view bytes);
  State state() const { return state_; }
  const RequestHead& head() const { return head_; }
  /// Content-Length bodies: their length. Chunked bodies: 0 (they are taken, see body()).
  uint64_t body_bytes() const;
  /// A chunked body, de-chunked, once state() is kComplete.
  std::string_view body() const;
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  /// Ready for the connection's next request.
  void next();

 private:
  struct Parser;
  void read_head();
  void fail(int status, std::string error);

  uint64_t max_body_bytes_;
  std::unique_ptr<Parser> parser_;
  State state_ = State::kHead;
  RequestHead head_;
  int status_ = 0;
  std::string error_;
};

/// The value of `name` in a query string ("ack=delivered&x=1"), or empty.
std::string_view query_value(std::string_view query, std::string_view name);

/// A whole response with a JSON body (a 401 names the Bearer scheme in WWW-Authenticate).
std::string http_response(int status, std::string_view json_body, bool keep_alive,
                          int retry_after_seconds = 0);
/// A whole response with any body and content type.
std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers);

std::string_view reason_of(int status);

}  // namespace drover
