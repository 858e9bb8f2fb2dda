#include "agent/router.h"

namespace drover {

bool Router::Route::push(std::shared_ptr<Batch> batch, std::stop_token stop) {
  return push_until(std::move(batch), stop, std::chrono::steady_clock::time_point::max()) ==
         PushResult::kQueued;
}

PushResult Router::Route::push_until(std::shared_ptr<Batch> batch, std::stop_token stop,
                                     std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  // Every output must make the batch safe before its source may commit the position.
  if (AckGroup* ack = batch->ack()) ack->expect(static_cast<int>(queues_.size()));
  BatchPtr shared = std::move(batch);
  for (BatchQueue* queue : queues_) {
    if (PushResult result = queue->push(shared, stop, deadline); result != PushResult::kQueued) {
      return result;
    }
    // Once one output has it, the others wait as long as it takes: giving up now would have
    // the producer send it again to the output that has it.
    deadline = std::chrono::steady_clock::time_point::max();
  }
  return PushResult::kQueued;
}

void Router::Route::add(BatchQueue* queue) {
  std::lock_guard lock(mutex_);
  queues_.push_back(queue);
}

void Router::Route::set(std::vector<BatchQueue*> queues) {
  std::lock_guard lock(mutex_);
  queues_ = std::move(queues);
}

}  // namespace drover
