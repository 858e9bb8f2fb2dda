#include "agent/batch_queue.h"

#include <spdlog/spdlog.h>

namespace drover {

/// Delivery of a batch read back from disk: lets the disk queue forget its frame. Outlives the
/// queue if a batch does (it is shared with every replayed batch's ack group).
class BatchQueue::DiskAcks final : public AckReceiver {
 public:
  explicit DiskAcks(BatchQueue* queue) : queue_(queue) {}
  void on_batch_safe(uint64_t ticket) override {
    std::lock_guard lock(mutex_);
    if (queue_ != nullptr) queue_->on_disk_batch_delivered(ticket);
  }
  void detach() {
    std::lock_guard lock(mutex_);
    queue_ = nullptr;
  }

 private:
  std::mutex mutex_;
  BatchQueue* queue_;
};

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

Result<std::unique_ptr<BatchQueue>> BatchQueue::open(const QueueOptions& options, Metrics& metrics,
                                                     const std::string& output,
                                                     StartupProgress* progress) {
  std::unique_ptr<BatchQueue> queue(new BatchQueue(options));
  queue->output_ = output;
  const Labels labels{{"output", output}};
  Counters& c = queue->counters_;
  c.spilled_batches = &metrics.counter("drover_queue_spilled_batches_total", labels);
  c.spilled_bytes = &metrics.counter("drover_queue_spilled_bytes_total", labels);
  c.replayed_batches = &metrics.counter("drover_queue_replayed_batches_total", labels);
  c.dropped_records = &metrics.counter("drover_queue_dropped_records_total",
                                       {{"output", output}, {"reason", "queue_full"}});
  c.disk_errors = &metrics.counter("drover_queue_disk_errors_total", labels);
  c.disk_bytes = &metrics.counter("drover_queue_disk_bytes", labels);
  c.lost_bytes = &metrics.counter("drover_queue_lost_bytes_total", labels);
  c.lost_batches = &metrics.counter("drover_queue_lost_batches_total", labels);
  if (options.disk_bytes == 0) return queue;

  RecoveryReport report;
  auto disk = DiskQueue::open(
      {options.dir, options.disk_bytes, std::min(options.segment_bytes, options.disk_bytes / 4)},
      &report, progress);
  if (!disk) return disk.error();
  queue->disk_ = std::move(*disk);
  queue->disk_acks_ = std::make_shared<DiskAcks>(queue.get());
  c.lost_bytes->add(report.lost_bytes);
  c.disk_bytes->set(queue->disk_->bytes());
  return queue;
}

BatchQueue::~BatchQueue() {
  if (disk_acks_) disk_acks_->detach();
}

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

bool BatchQueue::spill_locked(const BatchPtr& batch, SafeAcks& safe) {
  if (!disk_ || std::chrono::steady_clock::now() < disk_retry_at_ ||
      !disk_->has_room(batch->byte_size() + batch->record_count() * 12 + 256)) {
    return false;
  }
  auto frame = disk_->append(*batch);
  if (!frame) {
    counters_.disk_errors->add();
    disk_retry_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    disk_failing_ = true;
    if (auto suppressed = disk_error_log_.allow()) {
      spdlog::error(
          "output {}: the queue cannot write to disk: {}; the inputs are held back (nothing "
          "accepted is lost) and the disk is tried again every second{}",
          output_, frame.error().message,
          *suppressed ? fmt::format(" ({} more failures in the last minute)", *suppressed) : "");
    }
    return false;
  }
  if (disk_failing_) {
    disk_failing_ = false;
    spdlog::info("output {}: the queue writes to disk again", output_);
  }
  counters_.spilled_batches->add();
  counters_.spilled_bytes->add(batch->byte_size());
  counters_.disk_bytes->set(disk_->bytes());
  const auto& ack = batch->ack_group();
  if (ack && ack->receipt() != nullptr) {
    // Its producer waits for Kafka itself: the ack follows the copy read back and delivered.
    unsynced_acks_.emplace(*frame, ack);
    return true;
  }
  switch (options_.fsync) {
    case QueueOptions::Fsync::kEveryBatch:
      if (Status s = sync_locked(); !s) {
        // Not known to be durable: the source waits for delivery instead.
        if (ack) unsynced_acks_.emplace(*frame, ack);
        break;
      }
      if (ack) safe.push_back(ack);
      break;
    case QueueOptions::Fsync::kInterval:
      if (ack) acks_after_sync_.push_back(ack);
      sync_if_due_locked(safe);
      break;
    case QueueOptions::Fsync::kNever:
      if (ack) unsynced_acks_.emplace(*frame, ack);
      break;
  }
  return true;
}

Status BatchQueue::sync_locked() {
  last_sync_ = std::chrono::steady_clock::now();
  Status status = disk_->sync();
  if (!status) {
    counters_.disk_errors->add();
    spdlog::error("output {}: {}", output_, status.error().message);
  }
  return status;
}

void BatchQueue::sync_if_due_locked(SafeAcks& safe) {
  if (acks_after_sync_.empty() ||
      std::chrono::steady_clock::now() - last_sync_ < options_.fsync_interval) {
    return;
  }
  if (!sync_locked()) return;  // tried again at the next interval
  for (auto& ack : acks_after_sync_) safe.push_back(std::move(ack));
  acks_after_sync_.clear();
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
  if (!disk_) return std::nullopt;
  const uint64_t unreadable_before = disk_->unreadable_frames();
  auto entry = disk_->next();
  counters_.lost_batches->add(disk_->unreadable_frames() - unreadable_before);
  if (!entry) return std::nullopt;
  const uint64_t ticket = next_ticket_++;
  std::shared_ptr<AckGroup> source_ack;
  if (auto it = unsynced_acks_.find(entry->id); it != unsynced_acks_.end()) {
    source_ack = std::move(it->second);
    unsynced_acks_.erase(it);
  }
  // The copy read back fills in the receipt its producer waits on.
  std::shared_ptr<DeliveryReceipt> receipt = source_ack ? source_ack->receipt_ptr() : nullptr;
  replayed_.emplace(ticket, Replayed{entry->id, std::move(source_ack)});
  entry->batch->set_ack(std::make_shared<AckGroup>(disk_acks_, ticket, std::move(receipt)));
  counters_.replayed_batches->add();
  return BatchPtr(std::move(entry->batch));
}

void BatchQueue::on_disk_batch_delivered(uint64_t ticket) {
  std::shared_ptr<AckGroup> source_ack;
  {
    std::lock_guard lock(mutex_);
    auto it = replayed_.find(ticket);
    if (it == replayed_.end()) return;
    disk_->acknowledge(it->second.frame);
    source_ack = std::move(it->second.source_ack);
    replayed_.erase(it);
    counters_.disk_bytes->set(disk_->bytes());
  }
  if (source_ack) source_ack->complete();
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

Status BatchQueue::spill_for_stop(std::vector<BatchPtr> unfinished) {
  SafeAcks safe;
  Status status = save_for_stop(std::move(unfinished), safe);
  complete_all(safe);
  return status;
}

Status BatchQueue::save_for_stop(std::vector<BatchPtr> unfinished, SafeAcks& safe) {
  std::lock_guard lock(mutex_);
  if (!disk_) return Status::ok();
  for (auto& batch : batches_) unfinished.push_back(std::move(batch));
  batches_.clear();
  bytes_ = 0;
  std::vector<const Batch*> ordered;
  for (const auto& batch : unfinished) {
    if (!batch->empty()) ordered.push_back(batch.get());
  }
  auto written = disk_->write_ahead(ordered);
  Status synced = disk_->sync();
  if (!written) return written.error();
  if (*written < ordered.size()) {
    spdlog::warn(
        "output {}: the disk queue is full; {} of {} batch(es) could not be saved at stop and "
        "will be read again from their sources",
        output_, ordered.size() - *written, ordered.size());
  }
  for (size_t i = 0; i < *written; ++i) {
    if (ordered[i]->ack_group()) safe.push_back(ordered[i]->ack_group());
  }
  // Spilled earlier and synced now: safe too.
  if (synced) {
    for (auto& ack : acks_after_sync_) safe.push_back(std::move(ack));
    acks_after_sync_.clear();
  }
  counters_.disk_bytes->set(disk_->bytes());
  if (*written > 0) {
    spdlog::info("output {}: saved {} batch(es) to its disk queue for the next start", output_,
                 *written);
  }
  return synced;
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
