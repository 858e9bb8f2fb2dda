// The disk part of an output's queue: append-only segments under <data_dir>/queue/<output>/ and
// a bookkeeping file (state.json) naming the first live segment and the frames acknowledged in
// it and after it. Batches are read back in the order they were written.
//
// Crash safety: a segment is deleted only after every frame in it was acknowledged, and only
// after state.json says it is gone; so a crash between the two leaves a file that the next start
// deletes, never one it replays. Acknowledgements are saved at most once per second, so a crash
// may replay the last second's acknowledged batches again (at-least-once), never lose one.
//
// Not thread-safe: its owner (the hybrid queue) serialises every call.
#pragma once

#include "agent/batch.h"
#include "agent/queue/segment.h"
#include "agent/startup_progress.h"
#include "base/status.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace drover {

struct FrameId {
  uint64_t segment;
  uint64_t offset;
  auto operator<=>(const FrameId&) const = default;
};

/// New queues start here, leaving ids below for segments written ahead (write_ahead).
inline constexpr uint64_t kFirstSegmentId = 1ULL << 32;

struct DiskQueueOptions {
  std::filesystem::path dir;
  uint64_t max_bytes = 1ULL << 30;       // all segments together
  uint64_t segment_bytes = 64ULL << 20;  // a segment is closed once it reaches this size
};

/// What start-up found: enough to tell an operator exactly what was kept and what was lost.
struct RecoveryReport {
  size_t segments = 0;
  size_t frames = 0;          // valid frames found
  size_t pending_frames = 0;  // of those, not yet acknowledged: to be sent
  uint64_t pending_bytes = 0;
  struct Damage {
    std::filesystem::path segment;
    DamagedRange range;
    bool torn_tail;  // a write cut short: never synced, so never acknowledged to its source
  };
  std::vector<Damage> damage;
  uint64_t lost_bytes = 0;            // in damaged ranges that are not torn tails
  size_t undecodable_frames = 0;      // a valid CRC but not a batch this drover can read
  std::string state_problem;          // state.json missing or unreadable: all frames are pending
  size_t stale_segments_removed = 0;  // acknowledged segments a crash left behind
  /// Live segments that are gone from the directory (ids run without gaps from the first live
  /// one): whatever they held is lost, and how much is not known.
  std::vector<std::pair<uint64_t, uint64_t>> missing_segments;  // first..last id
};

class DiskQueue {
 public:
  /// Scans the directory (creating it if needed), cuts torn tails, and skips damage. Fails only
  /// if the directory cannot be used at all. Progress goes to `progress` (/readyz, /status and
  /// the log), or only to the log without one.
  static Result<std::unique_ptr<DiskQueue>> open(const DiskQueueOptions& options,
                                                 RecoveryReport* report = nullptr,
                                                 StartupProgress* progress = nullptr);
  ~DiskQueue();
  DiskQueue(const DiskQueue&) = delete;
  DiskQueue& operator=(const DiskQueue&) = delete;

  /// A descriptor of the segment being written (invalid if none is): syncing it makes every
  /// frame appended so far durable, since older segments are synced when they are closed.
  UniqueFd duplicate_writer() const;
  /// True if a batch of `batch_bytes` encoded bytes fits under max_bytes.
  bool has_room(uint64_t batch_bytes) const;
  /// Writes the batch as one frame (not yet synced). Fails when the disk is full; nothing is
  /// left half-written then.
  Result<FrameId> append(const Batch& batch);
  /// Makes every append so far durable.
  Status sync();
  /// Writes `batches` (oldest first) into a new segment *ahead* of every other one, synced:
  /// at stop, what the output held and what was in memory is older than what is on disk.
  /// Returns how many were written (fewer when the disk is full: the rest stay unqueued).
  Result<size_t> write_ahead(const std::vector<const Batch*>& batches);

  struct Entry {
    std::shared_ptr<Batch> batch;  // without an ack: the caller attaches one for `id`
    FrameId id;
  };
  /// The oldest frame not yet handed out, or nothing when all were. A frame that cannot be read
  /// any more (the disk changed under us) is skipped, counted and logged.
  std::optional<Entry> next();
  bool has_unread() const { return unread_ > 0; }

  /// The batch of this frame is delivered: it will not be replayed, and its segment goes once
  /// all of it is acknowledged.
  void acknowledge(FrameId id);
  /// Saves acknowledgements now (otherwise at most once per second, and at destruction).
  Status save_state();

  uint64_t bytes() const { return bytes_; }
  size_t unacknowledged_frames() const;
  /// Frames skipped at read time because they no longer matched their checksum.
  uint64_t unreadable_frames() const { return unreadable_; }

 private:
  struct Segment {
    uint64_t id;
    std::filesystem::path path;
    uint64_t size;
    std::vector<FrameLocation> frames;  // every valid frame, in order
    std::set<uint64_t> acked;           // offsets
    size_t next_frame = 0;              // next to hand out
    UniqueFd reader;
  };

  explicit DiskQueue(DiskQueueOptions options) : options_(std::move(options)) {}
  Status roll_segment();
  void drop_acknowledged_head();
  void maybe_save_state();

  DiskQueueOptions options_;
  std::map<uint64_t, Segment> segments_;
  std::unique_ptr<SegmentWriter> writer_;
  uint64_t next_segment_id_ = kFirstSegmentId;
  uint64_t bytes_ = 0;
  size_t unread_ = 0;
  uint64_t unreadable_ = 0;
  bool state_dirty_ = false;
  std::chrono::steady_clock::time_point last_save_{};
  std::string scratch_;
};

/// Reads state.json: the first live segment and the acknowledged frames; nullopt with a reason
/// in `problem` if it is missing or unreadable.
struct QueueState {
  uint64_t first_segment = kFirstSegmentId;
  std::map<uint64_t, std::set<uint64_t>> acked;  // segment id → frame offsets
};
std::optional<QueueState> load_queue_state(const std::filesystem::path& dir, std::string& problem);
Status save_queue_state(const std::filesystem::path& dir, const QueueState& state);

}  // namespace drover
