// A fixed bootstrap address for the embedded broker (brokers = ["embedded:PORT"]): listens on
// 127.0.0.1:PORT and forwards each connection to the mock cluster, which can only listen on
// ports it picks. Clients bootstrap here, then follow the brokers' advertised addresses.
// Development traffic only: one thread, blocking writes.
#pragma once

#include "base/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace drover::outputs {

class TcpForwarder {
 public:
  /// `target` is "host:port" of an IPv4 listener.
  static Result<std::unique_ptr<TcpForwarder>> start(uint16_t listen_port,
                                                     const std::string& target);
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

 private:
  TcpForwarder(int listen_fd, int wake_read, int wake_write, uint32_t target_ip,
               uint16_t target_port);
  void run(std::stop_token stop);

  int listen_fd_;
  int wake_read_;
  int wake_write_;
  uint32_t target_ip_;  // network byte order
  uint16_t target_port_;
  std::jthread thread_;
};

}  // namespace drover::outputs
