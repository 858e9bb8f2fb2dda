// The admin endpoint operators and monitoring scrape: GET /metrics (Prometheus text), /healthz
// (200 while every component runs, 503 naming the failed ones), /readyz (200 once started, 503
// with the reason before), /status (a JSON document for people and scripts: `drover status`).
// One thread of its own; plain HTTP/1.1, one request per connection, loopback by default.
// With bearer tokens (required when other hosts can reach it), every path needs one: a request
// without a valid token is answered 401 and counted.
#pragma once

#include "agent/bearer_auth.h"
#include "agent/listener.h"
#include "agent/log_limiter.h"
#include "agent/metrics.h"
#include "agent/wake_fd.h"
#include "base/status.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace drover {

class AdminServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;
    /// Empty when healthy; otherwise one line per problem.
    std::function<std::string()> problems;
    /// Empty when ready; otherwise why not ("starting", "stopping", ...).
    std::function<std::string()> not_ready;
    std::function<std::string()> status;
  };

  /// Listens on "host:port" (IPv4). Port 0 picks a free one; address() says which.
  /// `unauthorized` counts the requests refused for want of a valid token.
  static Result<std::unique_ptr<AdminServer>> start(
      const std::string& listen, Handlers handlers,
      std::shared_ptr<ListenerTokens> tokens = nullptr, Counter* unauthorized = nullptr);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  const std::string& address() const { return address_; }

 private:
  AdminServer(UniqueFd fd, std::string address, Handlers handlers,
              std::shared_ptr<ListenerTokens> tokens, Counter* unauthorized);
  void run(std::stop_token stop);
  void serve(int client);

  UniqueFd fd_;
  std::string address_;
  Handlers handlers_;
  std::shared_ptr<ListenerTokens> tokens_;  // re-read on SIGHUP (Agent::reload)
  Counter* unauthorized_;
  LogLimiter unauthorized_log_;
  LogLimiter refused_log_;
  DescriptorReserve reserve_;  // to answer 503 and close a request when no descriptor is left
  WakeFd stop_wake_;           // stop wakes the thread: it sleeps in poll() until a request
  std::jthread thread_;
};

}  // namespace drover
