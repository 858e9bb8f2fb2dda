// The queue in front of one output: memory first, then (with `disk_bytes`) append-only segments
// on disk, one FIFO across both. Many producers (the router, on input threads), one consumer
// (the output's sender thread).
//
// Nothing touches the disk while the output keeps up, nor while it is merely slower than the
// inputs: a full memory part makes them wait for the output. Once the output has taken nothing
// for `spill_after`, batches go to disk; once anything is on disk, new batches go behind it until
// the output has taken all of it. A batch synced into a segment is safe: its source position may
// commit (I1). With fsync = every_batch, a syncer thread syncs whatever was appended since its
// last sync, so producers never wait for the disk and share its syncs (group commit). When memory
// and disk are both full, `when_full` decides: block the inputs (default) or drop, counted.
#pragma once

#include "agent/batch.h"
#include "agent/log_limiter.h"
#include "agent/metrics.h"
#include "agent/queue/disk_queue.h"
#include "base/status.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace drover {

struct QueueOptions {
  enum class WhenFull { kBlock, kDropNewest, kDropOldest };
  enum class Fsync { kEveryBatch, kInterval, kNever };

  // Peak RSS while a backlog ships at full speed is about this plus 25 MiB (code, librdkafka's
  // buffers, what the allocator keeps): issue 23 asks for 40 MiB. The Kafka output flushes
  // librdkafka when it holds all it may, so a small budget no longer costs throughput.
  size_t memory_bytes = 10 << 20;
  uint64_t disk_bytes = 1ULL << 30;  // 0: memory only
  std::filesystem::path dir;         // <data_dir>/queue/<output>
  WhenFull when_full = WhenFull::kBlock;
  // every_batch: a spilled batch is safe at once. interval: safe at the next sync, at most
  // fsync_interval later. never: safe only once delivered (the disk only relieves memory).
  Fsync fsync = Fsync::kEveryBatch;
  std::chrono::milliseconds fsync_interval{1000};
  // Memory full while the output still takes batches: the inputs wait, since writing to disk
  // what the output will take in a moment only costs both of them the disk's time (and a file
  // input's data is on disk already). Batches go to disk once the output has taken nothing for
  // this long (Kafka away or slow) — and at once with 0, or when `when_full` drops.
  std::chrono::milliseconds spill_after{1000};
  uint64_t segment_bytes = 64ULL << 20;
  // Called on the syncer thread before each fdatasync (fsync = every_batch); tests hold it there
  // to see batches gather into one sync.
  std::function<void()> before_sync;
};

enum class PushResult { kQueued, kStopping, kTimedOut };

class BatchQueue {
 public:
  /// Memory only.
  explicit BatchQueue(size_t memory_bytes);
  /// With a disk part if options.disk_bytes > 0: recovers what an earlier run left on disk.
  static Result<std::unique_ptr<BatchQueue>> open(const QueueOptions& options, Metrics& metrics,
                                                  const std::string& output,
                                                  StartupProgress* progress = nullptr);
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  /// Queues the batch (in memory, or on disk behind what is there). When both are full: blocks
  /// (when_full = block), or drops and counts. Returns false, leaving the batch unqueued, only if
  /// `stop` is requested or the queue is closed while blocked.
  bool push(BatchPtr batch, std::stop_token stop);
  /// push() that gives up, leaving the batch unqueued, when `deadline` passes.
  PushResult push(BatchPtr batch, std::stop_token stop,
                  std::chrono::steady_clock::time_point deadline);

  /// Waits up to `timeout` for a batch; empty when none came or the queue is closed and drained.
  std::optional<BatchPtr> pop_for(std::chrono::milliseconds timeout);
  std::optional<BatchPtr> try_pop();
  /// Ends the consumer's pop_for() wait early, batch or not: it has other work (delivery
  /// reports to serve). Any thread.
  void wake_consumer();

  /// No more pushes; pop() drains what is there.
  void close();
  /// Nothing more for the consumer: the queue is closed and drained, or the consumer is paused.
  bool closed_and_empty() const;

  /// A reload replaces the output: its pops find nothing from now on and closed_and_empty()
  /// says so, so it settles what it took and returns, while inputs go on pushing.
  void pause_consumer();
  /// The new output takes over: `unfinished` (what the old one took and could not settle,
  /// oldest first) goes back to the front, ahead of everything else.
  void resume_consumer(std::vector<BatchPtr> unfinished);

  /// At stop, once the output has finished: `unfinished` (what the output took but Kafka has not
  /// acknowledged, oldest first) and everything still in memory go to disk ahead of what is
  /// there, synced, and their sources are told they are safe (I6). Without a disk part, nothing
  /// happens: those positions stay uncommitted and are read again.
  Status spill_for_stop(std::vector<BatchPtr> unfinished);

  /// What the output holds of the batches it took (with what its client library keeps per
  /// record): the queue's memory part gets the budget the output does not use, so the two
  /// together stay within `memory_bytes` (I4). Called by the output when the figure changes.
  void set_held_by_output(size_t bytes);

  size_t bytes() const;    // in memory
  size_t batches() const;  // in memory
  uint64_t disk_bytes() const;

 private:
  class DiskAcks;
  struct Counters {
    static Counter* unregistered();  // for a memory-only queue built without metrics
    Counter* spilled_batches = unregistered();
    Counter* spilled_bytes = unregistered();
    Counter* replayed_batches = unregistered();
    Counter* dropped_records = unregistered();
    Counter* disk_errors = unregistered();
    Counter* disk_bytes = unregistered();  // gauge
    Counter* lost_bytes = unregistered();
    Counter* lost_batches = unregistered();  // unreadable when read back (the disk changed)
    Counter* syncs = unregistered();         // fdatasyncs of the disk part
  };
  // Sources told "safe" once the lock is released: their callbacks must not run under it.
  using SafeAcks = std::vector<std::shared_ptr<AckGroup>>;

  explicit BatchQueue(const QueueOptions& options);
  bool memory_has_room_locked(size_t size) const;
  bool disk_in_use_locked() const;
  /// Memory is full, yet the output took a batch or freed memory less than spill_after ago.
  bool output_draining_locked() const;
  void note_room_locked();
  /// Writes the batch to disk; false if the disk is full or failing (logged, counted).
  bool spill_locked(const BatchPtr& batch, SafeAcks& safe);
  void sync_if_due_locked(SafeAcks& safe);
  Status sync_locked();
  void drop_locked(const BatchPtr& incoming, SafeAcks& safe);
  std::optional<BatchPtr> take_locked();
  std::optional<BatchPtr> take_from_disk_locked();
  /// fsync = every_batch: syncs what was appended, again and again, while there is any.
  void run_syncer();
  void stop_syncer();
  Status save_for_stop(std::vector<BatchPtr> unfinished, SafeAcks& safe);
  void on_disk_batch_delivered(uint64_t ticket);

  const QueueOptions options_;
  std::string output_;
  Counters counters_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_full_;
  std::condition_variable not_empty_;
  std::deque<BatchPtr> batches_;
  size_t bytes_ = 0;
  size_t held_by_output_ = 0;
  uint64_t room_changes_ = 0;  // pops, memory freed by the output, close: what a full push awaits
  std::chrono::steady_clock::time_point last_room_{};  // the output's last pop or freeing
  bool closed_ = false;
  bool consumer_woken_ = false;
  bool consumer_paused_ = false;

  std::unique_ptr<DiskQueue> disk_;
  std::shared_ptr<DiskAcks> disk_acks_;
  struct Replayed {
    FrameId frame;
    std::shared_ptr<AckGroup> source_ack;  // fsync = never: the source waits for delivery
  };
  std::map<uint64_t, Replayed> replayed_;                       // by ticket
  std::map<FrameId, std::shared_ptr<AckGroup>> unsynced_acks_;  // fsync = never: by frame
  SafeAcks acks_after_sync_;                                    // fsync = interval
  // fsync = every_batch: appended, not yet synced (by frame, in the order written; an entry's
  // ack may be empty). The syncer's next fdatasync makes them safe; one read back first is
  // taken out, and its source waits for its delivery instead.
  std::map<FrameId, std::shared_ptr<AckGroup>> awaiting_sync_;
  std::condition_variable sync_wanted_;
  bool syncer_stopping_ = false;
  std::thread syncer_;
  uint64_t next_ticket_ = 0;
  std::chrono::steady_clock::time_point last_sync_;
  std::chrono::steady_clock::time_point disk_retry_at_{};  // after a failed write
  bool disk_failing_ = false;
  LogLimiter disk_error_log_{std::chrono::seconds(60)};
};

}  // namespace drover
