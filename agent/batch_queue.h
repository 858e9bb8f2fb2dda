// The queue in front of one output: bounded by the memory its batches hold, FIFO, many producers
// (the router on input threads) and one consumer (the output's sender thread). Seam for the disk
// spill: push() is where a full memory part will spill to segments instead of blocking.
#pragma once

#include "agent/batch.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>

namespace drover {

class BatchQueue {
 public:
  explicit BatchQueue(size_t memory_bytes) : capacity_bytes_(memory_bytes) {}

  /// Blocks while the queue is full (backpressure on the input). A batch larger than the
  /// whole capacity is admitted once the queue is empty, so nothing can wedge it forever.
  /// Returns false, leaving the batch unqueued, if `stop` is requested or the queue closed.
  bool push(BatchPtr batch, std::stop_token stop);

  /// Waits up to `timeout` for a batch; empty when none came or the queue is closed and drained.
  std::optional<BatchPtr> pop_for(std::chrono::milliseconds timeout);
  std::optional<BatchPtr> try_pop();

  /// No more pushes; pop() drains what is there.
  void close();
  bool closed_and_empty() const;

  size_t bytes() const;
  size_t batches() const;
  size_t capacity_bytes() const { return capacity_bytes_; }

 private:
  std::optional<BatchPtr> take_locked();

  const size_t capacity_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_full_;
  std::condition_variable not_empty_;
  std::deque<BatchPtr> batches_;
  size_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace drover
