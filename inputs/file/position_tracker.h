// The committed position of one file: batches are registered in read order by the input
// thread and acknowledged, in any order, by output threads. The position advances only over
// a contiguous run of acknowledged batches (I1).
#pragma once

#include "agent/ack.h"

#include <cstdint>
#include <deque>
#include <mutex>

namespace drover::inputs {

class PositionTracker final : public AckReceiver {
 public:
  explicit PositionTracker(uint64_t committed) : committed_(committed) {}

  /// Registers the next batch, which ends at `end_offset`; returns its ticket.
  uint64_t add(uint64_t end_offset);
  void on_batch_safe(uint64_t ticket) override;

  /// Everything before this offset is safe.
  uint64_t committed() const;
  /// No batch is waiting for its ack.
  bool settled() const;

 private:
  struct Pending {
    uint64_t end_offset;
    bool safe;
  };
  mutable std::mutex mutex_;
  std::deque<Pending> pending_;
  uint64_t first_ticket_ = 0;  // ticket of pending_.front()
  uint64_t committed_;
};

}  // namespace drover::inputs
