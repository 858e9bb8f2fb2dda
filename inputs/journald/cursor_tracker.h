// The committed journal cursor of one journald input: batches are registered in read order by
// the input thread, each with the cursor of its last entry, and acknowledged in any order by
// output threads. The cursor advances only over a contiguous run of acknowledged batches (I1).
#pragma once

#include "agent/ack.h"

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace drover::inputs {

class CursorTracker final : public AckReceiver {
 public:
  explicit CursorTracker(std::string committed) : committed_(std::move(committed)) {}

  /// Registers the next batch, whose last entry `last_cursor` names; returns its ticket.
  uint64_t add(std::string last_cursor);
  void on_batch_safe(uint64_t ticket) override;

  /// Every entry up to the one this names is safe ("" before any).
  std::string committed() const;
  /// No batch is waiting for its ack.
  bool settled() const;

 private:
  struct Pending {
    std::string last_cursor;
    bool safe = false;
  };
  mutable std::mutex mutex_;
  std::deque<Pending> pending_;
  uint64_t first_ticket_ = 0;  // ticket of pending_.front()
  std::string committed_;
};

}  // namespace drover::inputs
