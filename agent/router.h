// Fan-out from inputs to output queues: each input's batches go to the queue of every output
// whose `inputs` names it. push() runs on input threads; a reload re-points routes from the
// main thread while they push.
#pragma once

#include "agent/plugin.h"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace drover {

class Router {
 public:
  void connect(const std::string& input, BatchQueue* queue) { routes_[input].add(queue); }
  /// The queues `input` feeds from now on. A push under way finishes first (to the old ones):
  /// when this returns, no input pushes into a queue it no longer names.
  void set_queues(const std::string& input, std::vector<BatchQueue*> queues) {
    routes_[input].set(std::move(queues));
  }
  /// The sink for one input; valid while the router lives.
  BatchSink& sink_for(const std::string& input) { return routes_[input]; }

 private:
  class Route final : public BatchSink {
   public:
    bool push(std::shared_ptr<Batch> batch, std::stop_token stop) override;
    PushResult push_until(std::shared_ptr<Batch> batch, std::stop_token stop,
                          std::chrono::steady_clock::time_point deadline) override;
    void add(BatchQueue* queue);
    void set(std::vector<BatchQueue*> queues);

   private:
    // One input thread pushes through a route, so this lock is uncontended but for reloads
    // (once per batch, never per record). Held while a full queue makes the push wait: a
    // reload waits for the push, which the outputs, still running, make room for.
    std::mutex mutex_;
    std::vector<BatchQueue*> queues_;
  };
  std::map<std::string, Route> routes_;  // nodes never move: sinks stay valid
};

}  // namespace drover
