#include "agent/http_request.h"

#include "agent/http_text.h"

#include <fmt/format.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <limits>

namespace drover {
namespace http = boost::beast::http;

namespace {

std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }

}  // namespace

struct RequestReader::Parser {
  http::request_parser<http::string_body> parser;
};

RequestReader::RequestReader(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) { next(); }
RequestReader::~RequestReader() = default;
RequestReader::RequestReader(RequestReader&&) noexcept = default;
RequestReader& RequestReader::operator=(RequestReader&&) noexcept = default;

void RequestReader::next() {
  parser_ = std::make_unique<Parser>();
  parser_->parser.header_limit(kMaxRequestHeadBytes);
  // Checked against Content-Length here (read_head), for a 413 that names both figures; a
  // chunked body is held to it as it arrives. Not boost::none: Boost 1.74 compares a length
  // with the optional, and every length is greater than none.
  parser_->parser.body_limit(std::numeric_limits<uint64_t>::max());
  state_ = State::kHead;
  head_ = {};
  status_ = 0;
  error_.clear();
}

void RequestReader::fail(int status, std::string error) {
  state_ = State::kBad;
  status_ = status;
  error_ = std::move(error);
}

uint64_t RequestReader::body_bytes() const {
  return head_.chunked ? 0 : head_.content_length.value_or(0);
}

std::string_view RequestReader::body() const { return parser_->parser.get().body(); }

size_t RequestReader::feed(std::string_view bytes) {
  auto& parser = parser_->parser;
  size_t used = 0;
  while (state_ == State::kHead || (state_ == State::kBody && head_.chunked)) {
    boost::system::error_code error;
    const size_t taken =
        parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), error);
    used += taken;
    if (error == http::error::need_more) break;
    if (error == http::error::header_limit) {
      fail(431, fmt::format("the request head is over {} bytes", kMaxRequestHeadBytes));
    } else if (error == http::error::body_limit) {
      fail(413, fmt::format("the chunked body is over {} bytes, the most this endpoint takes",
                            max_body_bytes_));
    } else if (error == http::error::bad_version) {
      fail(505, "the request is not HTTP/1.0 or HTTP/1.1");
    } else if (error == http::error::bad_transfer_encoding) {
      fail(501, "of transfer codings, only chunked is taken");
    } else if (error) {
      fail(400, fmt::format("not a valid HTTP/1.1 request: {}", error.message()));
    }
    if (state_ == State::kBad) break;
    if (state_ == State::kHead && parser.is_header_done()) {
      read_head();
      if (state_ != State::kBody || !head_.chunked) break;
      parser.body_limit(max_body_bytes_);
      parser.eager(true);  // every chunk there is, not one at a time
    }
    if (parser.is_done()) {
      state_ = State::kComplete;
      break;
    }
    if (taken == 0) break;
  }
  return used;
}

void RequestReader::read_head() {
  const auto& parser = parser_->parser;
  const auto& message = parser.get();
  if (message.version() != 10 && message.version() != 11) {
    fail(505, fmt::format("HTTP/{}.{} is not HTTP/1.0 or HTTP/1.1", message.version() / 10,
                          message.version() % 10));
    return;
  }
  head_.method = view(message.method_string());
  const std::string_view target = view(message.target());
  const size_t question = target.find('?');
  head_.path = target.substr(0, question);
  if (question != std::string_view::npos) head_.query = target.substr(question + 1);
  head_.keep_alive = parser.keep_alive();
  head_.chunked = parser.chunked();
  if (const auto length = parser.content_length()) head_.content_length = *length;
  if (auto it = message.find(http::field::authorization); it != message.end()) {
    head_.authorization = view(it->value());
  }
  if (auto it = message.find(http::field::content_type); it != message.end()) {
    head_.content_type = view(it->value());
  }
  if (auto it = message.find(http::field::content_encoding); it != message.end()) {
    head_.content_encoding = view(it->value());
  }
  if (auto it = message.find("Idempotency-Key"); it != message.end()) {
    head_.idempotency_key = view(it->value());
  }
  if (auto it = message.find(http::field::transfer_encoding); it != message.end()) {
    // "gzip, chunked" is chunked, but its content is still gzip'ed: not taken.
    if (!ascii_iequals(trim_blanks(view(it->value())), "chunked")) {
      fail(501, fmt::format("Transfer-Encoding '{}': of transfer codings, only chunked is taken",
                            view(it->value()).substr(0, 64)));
      return;
    }
  }
  if (auto it = message.find(http::field::expect); it != message.end()) {
    if (!ascii_iequals(trim_blanks(view(it->value())), "100-continue")) {
      fail(417, fmt::format("Expect '{}' is not 100-continue", view(it->value()).substr(0, 32)));
      return;
    }
    head_.expect_continue = true;
  }
  if (head_.method == "POST" && !head_.chunked && !head_.content_length) {
    fail(411, "a POST needs Content-Length, or a chunked body");
    return;
  }
  if (head_.content_length && *head_.content_length > max_body_bytes_) {
    fail(413, fmt::format("the body has {} bytes; this endpoint takes at most {}",
                          *head_.content_length, max_body_bytes_));
    return;
  }
  state_ = State::kBody;
}

std::string_view query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string_view reason_of(int status) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return reason.empty() ? "Error" : view(reason);
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                                status, reason_of(status), content_type, body.size());
  if (!keep_alive) out += "Connection: close\r\n";
  if (status == 401) out += "WWW-Authenticate: Bearer realm=\"drover\"\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

std::string http_response(int status, std::string_view json_body, bool keep_alive,
                          int retry_after_seconds) {
  std::string body;
  body.reserve(json_body.size() + 1);
  body.append(json_body).push_back('\n');
  return http_response(
      status, "application/json", body, keep_alive,
      retry_after_seconds > 0 ? fmt::format("Retry-After: {}\r\n", retry_after_seconds) : "");
}

}  // namespace drover
