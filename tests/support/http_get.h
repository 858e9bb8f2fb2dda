// A minimal HTTP GET for tests of drover's admin endpoint: {status, body}, or {0, ""} if the
// server could not be reached.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace drover::testing {

/// `headers`: more header lines, each ending in "\r\n".
inline std::pair<int, std::string> http_get(const std::string& address, const std::string& path,
                                            const std::string& headers = "") {
  const size_t colon = address.rfind(':');
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &server.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    ::close(fd);
    return {0, ""};
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: drover\r\n" + headers + "\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (response.size() < 12) return {0, ""};
  const size_t body = response.find("\r\n\r\n");
  return {std::stoi(response.substr(9, 3)),
          body == std::string::npos ? std::string() : response.substr(body + 4)};
}

/// The value of one series in a Prometheus text page (`name{labels}`), or -1 if absent.
inline long long metric_value(const std::string& page, const std::string& series) {
  const std::string line_start = series + " ";
  for (size_t at = page.find(line_start); at != std::string::npos;
       at = page.find(line_start, at + 1)) {
    if (at == 0 || page[at - 1] == '\n') return std::stoll(page.substr(at + line_start.size()));
  }
  return -1;
}

}  // namespace drover::testing
