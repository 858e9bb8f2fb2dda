// Fan-out from inputs to output queues: each input's batches go to the queue of every output
// whose `inputs` names it. Built once at start; push() runs on input threads.
#pragma once

#include "agent/plugin.h"

#include <map>
#include <string>
#include <vector>

namespace drover {

class Router {
 public:
  void connect(const std::string& input, BatchQueue* queue) {
    routes_[input].queues.push_back(queue);
  }
  /// The sink for one input; valid while the router lives.
  BatchSink& sink_for(const std::string& input) { return routes_[input]; }

 private:
  class Route final : public BatchSink {
   public:
    bool push(std::shared_ptr<Batch> batch, std::stop_token stop) override;
    PushResult push_until(std::shared_ptr<Batch> batch, std::stop_token stop,
                          std::chrono::steady_clock::time_point deadline) override;
    std::vector<BatchQueue*> queues;
  };
  std::map<std::string, Route> routes_;
};

}  // namespace drover
