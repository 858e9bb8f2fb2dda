#include "inputs/events/http_request.h"

#include "agent/http_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace drover::inputs {
namespace {

HeadParse bad(int status, std::string error) {
  HeadParse parse;
  parse.state = HeadParse::State::kBad;
  parse.status = status;
  parse.error = std::move(error);
  return parse;
}

std::string_view reason_of(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace

HeadParse parse_request_head(std::string_view buffer) {
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buffer.size() > kMaxRequestHeadBytes) {
      return bad(431, fmt::format("the request head is over {} bytes", kMaxRequestHeadBytes));
    }
    return {};
  }
  HeadParse parse;
  RequestHead& head = parse.head;
  head.head_bytes = end + 4;
  std::string_view rest = buffer.substr(0, end + 2);  // each line ends with CRLF
  const size_t line_end = rest.find("\r\n");
  const std::string_view request_line = rest.substr(0, line_end);
  rest.remove_prefix(line_end + 2);
  const size_t first_space = request_line.find(' ');
  const size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return bad(400, "the request line is not \"METHOD target HTTP/1.1\"");
  }
  head.method = request_line.substr(0, first_space);
  const std::string_view target =
      request_line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = request_line.substr(last_space + 1);
  if (version == "HTTP/1.0") {
    head.keep_alive = false;
  } else if (version != "HTTP/1.1") {
    return bad(505, fmt::format("'{}' is not HTTP/1.0 or HTTP/1.1", version.substr(0, 32)));
  }
  const size_t question = target.find('?');
  head.path = target.substr(0, question);
  if (question != std::string_view::npos) head.query = target.substr(question + 1);
  bool has_length = false;
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return bad(400, fmt::format("header line '{}' has no name", line.substr(0, 64)));
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    if (ascii_iequals(name, "content-length")) {
      uint64_t length = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc() || ptr != value.data() + value.size() ||
          (has_length && length != head.content_length)) {
        return bad(400,
                   fmt::format("Content-Length '{}' is not a byte count", value.substr(0, 32)));
      }
      head.content_length = length;
      has_length = true;
    } else if (ascii_iequals(name, "transfer-encoding")) {
      return bad(411, "send the body with Content-Length: Transfer-Encoding is not taken");
    } else if (ascii_iequals(name, "connection")) {
      if (ascii_iequals(value, "close")) head.keep_alive = false;
      if (ascii_iequals(value, "keep-alive")) head.keep_alive = true;
    } else if (ascii_iequals(name, "authorization")) {
      head.authorization = value;
    } else if (ascii_iequals(name, "expect")) {
      if (!ascii_iequals(value, "100-continue")) {
        return bad(400, fmt::format("Expect '{}' is not 100-continue", value.substr(0, 32)));
      }
      head.expect_continue = true;
    }
  }
  if (head.method == "POST" && !has_length) {
    return bad(411, "a POST needs Content-Length");
  }
  parse.state = HeadParse::State::kComplete;
  return parse;
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

std::string http_response(int status, std::string_view json_body, bool keep_alive,
                          int retry_after_seconds) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                  status, reason_of(status), json_body.size() + 1);
  if (!keep_alive) out += "Connection: close\r\n";
  if (retry_after_seconds > 0) out += fmt::format("Retry-After: {}\r\n", retry_after_seconds);
  if (status == 401) out += "WWW-Authenticate: Bearer realm=\"drover\"\r\n";
  out += "\r\n";
  out += json_body;
  out += '\n';
  return out;
}

}  // namespace drover::inputs
