// The part of HTTP/1.1 the events endpoint speaks: a request head read from a connection's
// buffer (method, target, Content-Length, keep-alive, Expect: 100-continue) and responses.
// Bodies come with Content-Length; chunked bodies are refused with 411.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::inputs {

inline constexpr size_t kMaxRequestHeadBytes = 16 * 1024;

struct RequestHead {
  std::string_view method;
  std::string_view path;   // the target before '?'
  std::string_view query;  // after '?', or empty
  size_t head_bytes = 0;   // up to and including the blank line
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;
  std::optional<std::string_view> authorization;  // the Authorization header's value
};

struct HeadParse {
  enum class State { kIncomplete, kComplete, kBad };
  State state = State::kIncomplete;
  RequestHead head;  // views into the buffer given
  int status = 0;    // kBad: the status to answer with
  std::string error;
};

HeadParse parse_request_head(std::string_view buffer);

/// The value of `name` in a query string ("ack=delivered&x=1"), or empty.
std::string_view query_value(std::string_view query, std::string_view name);

/// A whole response with a JSON body (a 401 names the Bearer scheme in WWW-Authenticate).
std::string http_response(int status, std::string_view json_body, bool keep_alive,
                          int retry_after_seconds = 0);

}  // namespace drover::inputs
