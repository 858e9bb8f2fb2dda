// The committed position of one file: batches are registered in read order by the input
// thread and acknowledged, in any order, by output threads. The position advances only over
// a contiguous run of acknowledged batches (I1).
#pragma once

#include "agent/ack.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

namespace drover::inputs {

class PositionTracker final : public AckReceiver {
 public:
  struct Position {
    uint64_t offset = 0;
    uint64_t tail_hash = 0;  // of the bytes just before `offset` (see fingerprint.h)

    bool operator==(const Position&) const = default;
  };

  /// `commits`, when given, counts every advance: what tells the input its checkpoints changed.
  explicit PositionTracker(uint64_t committed, uint64_t tail_hash = 0,
                           std::shared_ptr<std::atomic<uint64_t>> commits = nullptr)
      : committed_{committed, tail_hash}, commits_(std::move(commits)) {}

  /// Registers the next batch, which ends at `end_offset`; returns its ticket.
  uint64_t add(uint64_t end_offset, uint64_t tail_hash = 0);
  void on_batch_safe(uint64_t ticket) override;

  /// Everything before this offset is safe.
  uint64_t committed() const;
  Position committed_position() const;
  /// No batch is waiting for its ack.
  bool settled() const;
  /// Positions past `limit` become `limit`: a copy of the file that ends there takes this
  /// tracker over (copytruncate), and what the original held beyond it is not in the copy.
  void clamp_to(const Position& limit);

 private:
  struct Pending {
    Position end;
    bool safe;
  };
  mutable std::mutex mutex_;
  std::deque<Pending> pending_;
  uint64_t first_ticket_ = 0;  // ticket of pending_.front()
  Position committed_;
  std::shared_ptr<std::atomic<uint64_t>> commits_;
};

}  // namespace drover::inputs
