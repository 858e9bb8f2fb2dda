#include "agent/router.h"

namespace drover {

bool Router::Route::push(std::shared_ptr<Batch> batch, std::stop_token stop) {
  // Every output must make the batch safe before its source may commit the position.
  if (AckGroup* ack = batch->ack()) ack->expect(static_cast<int>(queues.size()));
  BatchPtr shared = std::move(batch);
  for (BatchQueue* queue : queues) {
    if (!queue->push(shared, stop)) return false;
  }
  return true;
}

}  // namespace drover
