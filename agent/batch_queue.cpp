#include "agent/batch_queue.h"

#include <spdlog/spdlog.h>

namespace drover {

Counter* BatchQueue::Counters::unregistered() {
  static Counter counter;
  return &counter;
}

namespace {
void complete_all(std::vector<std::shared_ptr<AckGroup>>& acks) {
  for (auto& ack : acks) ack->complete();
  acks.clear();
}
QueueOptions memory_only(size_t memory_bytes) {
  QueueOptions options;
  options.memory_bytes = memory_bytes;
  return options;
}
}  // namespace

BatchQueue::BatchQueue(size_t memory_bytes) : BatchQueue(memory_only(memory_bytes)) {}

BatchQueue::BatchQueue(const QueueOptions& options)
    : options_(options), last_sync_(std::chrono::steady_clock::now()) {}

bool BatchQueue::memory_has_room_locked(size_t size) const {
  return batches_.empty() || bytes_ + held_by_output_ + size <= options_.memory_bytes;
}

void BatchQueue::set_held_by_output(size_t bytes) {
  bool freed = false;
  {
    std::lock_guard lock(mutex_);
    freed = bytes < held_by_output_;
    held_by_output_ = bytes;
    if (freed) note_room_locked();
  }
  if (freed) not_full_.notify_all();
}

void BatchQueue::note_room_locked() {
  ++room_changes_;
  last_room_ = std::chrono::steady_clock::now();
}

bool BatchQueue::disk_in_use_locked() const { return disk_ && disk_->has_unread(); }

bool BatchQueue::output_draining_locked() const {
  return disk_ && options_.when_full == QueueOptions::WhenFull::kBlock &&
         std::chrono::steady_clock::now() < last_room_ + options_.spill_after;
}

void BatchQueue::drop_locked(const BatchPtr& incoming, SafeAcks& safe) {
  BatchPtr dropped = incoming;
  if (options_.when_full == QueueOptions::WhenFull::kDropOldest) {
    if (auto oldest = take_locked()) {
      dropped = std::move(*oldest);
      // The incoming batch takes its place, behind what is on disk if anything is.
      if (!disk_in_use_locked() || !spill_locked(incoming, safe)) {
        bytes_ += incoming->memory_bytes();
        batches_.push_back(incoming);
      }
    }
  }
  counters_.dropped_records->add(dropped->record_count());
  // Counted, not pending: its source may move on.
  if (dropped->ack_group()) safe.push_back(dropped->ack_group());
}

bool BatchQueue::push(BatchPtr batch, std::stop_token stop) {
  return push(std::move(batch), stop, std::chrono::steady_clock::time_point::max()) ==
         PushResult::kQueued;
}

PushResult BatchQueue::push(BatchPtr batch, std::stop_token stop,
                            std::chrono::steady_clock::time_point deadline) {
  const size_t size = batch->memory_bytes();
  SafeAcks safe;
  {
    std::unique_lock lock(mutex_);
    while (true) {
      if (closed_) return PushResult::kStopping;
      const bool disk_in_use = disk_in_use_locked();
      if (!disk_in_use && memory_has_room_locked(size)) {
        bytes_ += size;
        batches_.push_back(std::move(batch));
        break;
      }
      if (!disk_in_use && output_draining_locked()) {
        const uint64_t seen = room_changes_;
        not_full_.wait_until(lock, stop, std::min(deadline, last_room_ + options_.spill_after),
                             [&] { return room_changes_ != seen; });
        if (stop.stop_requested()) return PushResult::kStopping;
        if (std::chrono::steady_clock::now() >= deadline) return PushResult::kTimedOut;
        continue;
      }
      if (spill_locked(batch, safe)) break;
      if (options_.when_full != QueueOptions::WhenFull::kBlock) {
        drop_locked(batch, safe);
        break;
      }
      // Woken by a pop, by the output freeing memory, by close, by stop; or after a while to
      // try a failing disk again.
      const uint64_t seen = room_changes_;
      const auto retry_at =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(disk_ ? 200 : 1000);
      not_full_.wait_until(lock, stop, std::min(deadline, retry_at),
                           [&] { return room_changes_ != seen; });
      if (stop.stop_requested()) return PushResult::kStopping;
      if (std::chrono::steady_clock::now() >= deadline) return PushResult::kTimedOut;
    }
  }
  complete_all(safe);
  not_empty_.notify_one();
  return PushResult::kQueued;
}

std::optional<BatchPtr> BatchQueue::take_locked() {
  if (consumer_paused_) return std::nullopt;
  if (!batches_.empty()) {
    BatchPtr batch = std::move(batches_.front());
    batches_.pop_front();
    bytes_ -= batch->memory_bytes();
    return batch;
  }
  return take_from_disk_locked();
}

std::optional<BatchPtr> BatchQueue::pop_for(std::chrono::milliseconds timeout) {
  std::optional<BatchPtr> batch;
  SafeAcks safe;
  {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] {
      // A paused consumer is not woken by batches it may not take: it waits for its reports.
      return consumer_woken_ || (!consumer_paused_ && (!batches_.empty() || disk_in_use_locked()));
    });
    consumer_woken_ = false;
    batch = take_locked();
    if (batch) note_room_locked();
    sync_if_due_locked(safe);  // an idle output still makes interval-synced batches safe
  }
  complete_all(safe);
  if (batch) not_full_.notify_all();
  return batch;
}

void BatchQueue::wake_consumer() {
  {
    std::lock_guard lock(mutex_);
    consumer_woken_ = true;
  }
  not_empty_.notify_one();
}

std::optional<BatchPtr> BatchQueue::try_pop() {
  std::optional<BatchPtr> batch;
  SafeAcks safe;
  {
    std::lock_guard lock(mutex_);
    batch = take_locked();
    if (batch) note_room_locked();
    sync_if_due_locked(safe);
  }
  complete_all(safe);
  if (batch) not_full_.notify_all();
  return batch;
}

void BatchQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ++room_changes_;
    // Once, like pause_consumer(): an output still settling records after close waits for its
    // delivery reports from then on instead of polling at full speed until shutdown_timeout.
    consumer_woken_ = true;
  }
  not_full_.notify_all();
  not_empty_.notify_all();
}

bool BatchQueue::closed_and_empty() const {
  std::lock_guard lock(mutex_);
  return consumer_paused_ || (closed_ && batches_.empty() && !disk_in_use_locked());
}

void BatchQueue::pause_consumer() {
  {
    std::lock_guard lock(mutex_);
    consumer_paused_ = true;
    // Once, so it notices now; later waits last their timeout (or until its delivery reports
    // wake it) instead of spinning while it settles what it holds.
    consumer_woken_ = true;
  }
  not_empty_.notify_all();
}

void BatchQueue::resume_consumer(std::vector<BatchPtr> unfinished) {
  {
    std::lock_guard lock(mutex_);
    // Memory holds the oldest batches whenever disk holds any (new ones queue behind the disk
    // part), so the front of memory is the front of the queue. The memory budget may be
    // exceeded by what the old output held: it was counted as the output's until now.
    for (auto it = unfinished.rbegin(); it != unfinished.rend(); ++it) {
      if ((*it)->empty()) continue;
      bytes_ += (*it)->memory_bytes();
      batches_.push_front(std::move(*it));
    }
    held_by_output_ = 0;
    consumer_paused_ = false;
    note_room_locked();
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

size_t BatchQueue::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

size_t BatchQueue::batches() const {
  std::lock_guard lock(mutex_);
  return batches_.size();
}

uint64_t BatchQueue::disk_bytes() const {
  std::lock_guard lock(mutex_);
  return disk_ ? disk_->bytes() : 0;
}

}  // namespace drover
