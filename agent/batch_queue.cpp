#include "agent/batch_queue.h"

namespace drover {

bool BatchQueue::push(BatchPtr batch, std::stop_token stop) {
  const size_t size = batch->memory_bytes();
  {
    std::unique_lock lock(mutex_);
    const bool admitted = not_full_.wait(lock, stop, [&] {
      return closed_ || batches_.empty() || bytes_ + size <= capacity_bytes_;
    });
    if (!admitted || closed_) return false;
    bytes_ += size;
    batches_.push_back(std::move(batch));
  }
  not_empty_.notify_one();
  return true;
}

std::optional<BatchPtr> BatchQueue::take_locked() {
  if (batches_.empty()) return std::nullopt;
  BatchPtr batch = std::move(batches_.front());
  batches_.pop_front();
  bytes_ -= batch->memory_bytes();
  return batch;
}

std::optional<BatchPtr> BatchQueue::pop_for(std::chrono::milliseconds timeout) {
  std::optional<BatchPtr> batch;
  {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !batches_.empty(); });
    batch = take_locked();
  }
  if (batch) not_full_.notify_all();
  return batch;
}

std::optional<BatchPtr> BatchQueue::try_pop() {
  std::optional<BatchPtr> batch;
  {
    std::lock_guard lock(mutex_);
    batch = take_locked();
  }
  if (batch) not_full_.notify_all();
  return batch;
}

void BatchQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_full_.notify_all();
  not_empty_.notify_all();
}

bool BatchQueue::closed_and_empty() const {
  std::lock_guard lock(mutex_);
  return closed_ && batches_.empty();
}

size_t BatchQueue::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

size_t BatchQueue::batches() const {
  std::lock_guard lock(mutex_);
  return batches_.size();
}

}  // namespace drover
