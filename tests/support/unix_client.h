// One connection to a Unix socket for tests of the events input: sends bytes, reads reply
// lines. An empty line back means the connection closed or nothing came within the timeout.
#pragma once

#include <chrono>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace drover::testing {

class UnixConnection {
 public:
  explicit UnixConnection(const std::string& path,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), std::min(path.size() + 1, sizeof address.sun_path));
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                     static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~UnixConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  UnixConnection(const UnixConnection&) = delete;
  UnixConnection& operator=(const UnixConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    for (size_t sent = 0; fd_ >= 0 && sent < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return fd_ >= 0;
  }
  /// Sends nothing more; replies can still be read.
  void shutdown_sending() { ::shutdown(fd_, SHUT_WR); }
  /// The next line drover sent, without its newline.
  std::string read_line() {
    size_t newline;
    while ((newline = buffer_.find('\n')) == std::string::npos) {
      char chunk[65536];
      const ssize_t n = fd_ < 0 ? -1 : ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    return line;
  }
  /// True once drover closed the connection (read returns 0) with nothing more sent.
  bool closed_by_peer() {
    char byte;
    return buffer_.empty() && fd_ >= 0 && ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace drover::testing
