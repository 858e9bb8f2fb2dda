// Builds the pipelines a config describes and runs them: one thread per input, one sender
// thread per output. Owned by main(); start() and stop() are called from the main thread.
#pragma once

#include "agent/admin_server.h"
#include "agent/pipeline_config.h"
#include "agent/router.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace drover {

class Agent {
 public:
  /// Builds every component; throws ConfigError if one cannot be built (bad path, ...).
  explicit Agent(PipelineConfig config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Starts the admin endpoint, then every output and input. Throws ConfigError if the admin
  /// address cannot be listened on.
  void start();
  /// Orderly stop (I6): inputs stop reading, queues close, outputs drain and flush for up to
  /// shutdown_timeout, then positions acknowledged so far are saved.
  void stop();

  Metrics& metrics() { return metrics_; }

 private:
  struct RunningOutput;
  /// A component whose thread ended before stop() has failed: /healthz says so.
  void mark_failed(const std::string& component, const std::string& reason);

  PipelineConfig config_;
  Metrics metrics_;
  Router router_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::vector<std::unique_ptr<RunningOutput>> outputs_;
  std::vector<std::jthread> input_threads_;
  std::unique_ptr<AdminServer> admin_;
  Health health_;
  std::atomic<bool> running_{false};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace drover
