// The disk part of BatchQueue: opening and recovering it, spilling to it, reading back from it,
// syncing (fsync = every_batch: a syncer thread's one fdatasync makes every batch appended before
// it safe, so concurrent producers share syncs: group commit), and saving to it at stop.
#include "agent/batch_queue.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

namespace drover {
namespace {
void complete_all(std::vector<std::shared_ptr<AckGroup>>& acks) {
  for (auto& ack : acks) ack->complete();
  acks.clear();
}
}  // namespace

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
  c.syncs = &metrics.counter("drover_queue_syncs_total", labels);
  if (options.disk_bytes == 0) return queue;

  RecoveryReport report;
  auto disk = DiskQueue::open(
      {options.dir, options.disk_bytes, std::min(options.segment_bytes, options.disk_bytes / 4)},
      &report, progress);
  if (!disk) return disk.error();
  queue->disk_ = std::move(*disk);
  queue->disk_acks_ = std::make_shared<DiskAcks>(queue.get());
  if (options.fsync == QueueOptions::Fsync::kEveryBatch) {
    queue->syncer_ = std::thread([raw = queue.get()] { raw->run_syncer(); });
  }
  c.lost_bytes->add(report.lost_bytes);
  c.disk_bytes->set(queue->disk_->bytes());
  return queue;
}

BatchQueue::~BatchQueue() {
  stop_syncer();
  if (disk_acks_) disk_acks_->detach();
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
      awaiting_sync_.emplace(*frame, ack);
      sync_wanted_.notify_one();
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

void BatchQueue::run_syncer() {
  std::unique_lock lock(mutex_);
  while (true) {
    sync_wanted_.wait(lock, [&] { return syncer_stopping_ || !awaiting_sync_.empty(); });
    if (syncer_stopping_) return;
    // Everything appended up to now is in the segment being written (older segments were
    // synced when they were closed): one sync of it covers the lot.
    const FrameId covered = awaiting_sync_.rbegin()->first;
    UniqueFd segment = disk_->duplicate_writer();
    lock.unlock();
    if (options_.before_sync) options_.before_sync();
    Status synced = Status::ok();
    if (!segment.valid() || ::fdatasync(segment.get()) != 0) {
      synced = errno_error("cannot sync the segment being written in", options_.dir);
    }
    SafeAcks safe;
    lock.lock();
    counters_.syncs->add();
    last_sync_ = std::chrono::steady_clock::now();
    const auto end = awaiting_sync_.upper_bound(covered);
    for (auto it = awaiting_sync_.begin(); it != end; ++it) {
      if (!it->second) continue;
      if (synced) {
        safe.push_back(std::move(it->second));
      } else {
        // Not known to be durable: the source waits for delivery instead.
        unsynced_acks_.emplace(it->first, std::move(it->second));
      }
    }
    awaiting_sync_.erase(awaiting_sync_.begin(), end);
    if (!synced) {
      counters_.disk_errors->add();
      spdlog::error("output {}: {}; the batches it held are safe once delivered", output_,
                    synced.error().message);
    }
    lock.unlock();
    complete_all(safe);
    lock.lock();
  }
}

void BatchQueue::stop_syncer() {
  if (!syncer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    syncer_stopping_ = true;
  }
  sync_wanted_.notify_all();
  syncer_.join();
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

Status BatchQueue::spill_for_stop(std::vector<BatchPtr> unfinished) {
  SafeAcks safe;
  Status status = save_for_stop(std::move(unfinished), safe);
  complete_all(safe);
  return status;
}

Status BatchQueue::save_for_stop(std::vector<BatchPtr> unfinished, SafeAcks& safe) {
  stop_syncer();  // the sync below covers what it had not synced yet
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
    for (auto& [frame, ack] : awaiting_sync_) {
      if (ack) safe.push_back(std::move(ack));
    }
    awaiting_sync_.clear();
  }
  counters_.disk_bytes->set(disk_->bytes());
  if (*written > 0) {
    spdlog::info("output {}: saved {} batch(es) to its disk queue for the next start", output_,
                 *written);
  }
  return synced;
}

std::optional<BatchPtr> BatchQueue::take_from_disk_locked() {
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
  } else if (auto waiting = awaiting_sync_.find(entry->id); waiting != awaiting_sync_.end()) {
    // Read back before a sync covered it: its delivery makes it safe instead.
    source_ack = std::move(waiting->second);
    awaiting_sync_.erase(waiting);
  }
  // The copy read back fills in the receipt its producer waits on.
  std::shared_ptr<DeliveryReceipt> receipt = source_ack ? source_ack->receipt_ptr() : nullptr;
  replayed_.emplace(ticket, Replayed{entry->id, std::move(source_ack)});
  entry->batch->set_ack(std::make_shared<AckGroup>(disk_acks_, ticket, std::move(receipt)));
  counters_.replayed_batches->add();
  return BatchPtr(std::move(entry->batch));
}

}  // namespace drover
