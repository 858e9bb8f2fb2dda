// One keep-alive HTTP/1.1 connection for tests of the events input: POSTs and reads each
// response by its Content-Length. {0, ...} when the connection failed or was closed.
#pragma once

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace drover::testing {

struct HttpResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

/// The next response at the front of `buffer` (taken out of it), calling `fill()` to receive
/// more until it is whole; {0, ...} when `fill()` says the connection ended first.
template <typename Fill>
HttpResponse take_response(std::string& buffer, Fill fill) {
  HttpResponse response;
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return response;
  }
  response.head = buffer.substr(0, head_end);
  size_t length = 0;
  const size_t at = response.head.find("Content-Length: ");
  if (at != std::string::npos) length = std::stoul(response.head.substr(at + 16));
  while (buffer.size() < head_end + 4 + length) {
    if (!fill()) return response;
  }
  response.status = std::stoi(response.head.substr(9, 3));
  response.body = buffer.substr(head_end + 4, length);
  buffer.erase(0, head_end + 4 + length);
  return response;
}

class HttpConnection {
 public:
  explicit HttpConnection(const std::string& address) {
    const size_t colon = address.rfind(':');
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &server.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  /// A response not read within `timeout` comes back with status 0.
  void set_timeout(std::chrono::milliseconds timeout) {
    const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                     static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  /// Sends a request without waiting for its response (pipelining).
  /// `headers`: more header lines, each ending in "\r\n".
  bool send_post(const std::string& target, const std::string& body,
                 const std::string& headers = "") {
    const std::string request =
        "POST " + target + " HTTP/1.1\r\nHost: drover\r\nContent-Type: application/x-ndjson\r\n" +
        headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return send_raw(request);
  }
  bool send_raw(const std::string& bytes) {
    size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return fd_ >= 0;
  }
  /// The next response on the connection.
  HttpResponse read_response() {
    return take_response(buffer_, [this] { return fill(); });
  }
  HttpResponse post(const std::string& target, const std::string& body,
                    const std::string& headers = "") {
    if (!send_post(target, body, headers)) return {};
    return read_response();
  }

 private:
  bool fill() {
    char chunk[65536];
    const ssize_t n = fd_ >= 0 ? ::recv(fd_, chunk, sizeof chunk, 0) : -1;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace drover::testing
