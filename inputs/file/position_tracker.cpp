#include "inputs/file/position_tracker.h"

namespace drover::inputs {

uint64_t PositionTracker::add(uint64_t end_offset, uint64_t tail_hash) {
  std::lock_guard lock(mutex_);
  pending_.push_back({{end_offset, tail_hash}, false});
  return first_ticket_ + pending_.size() - 1;
}

void PositionTracker::on_batch_safe(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  if (ticket < first_ticket_ || ticket - first_ticket_ >= pending_.size()) return;
  pending_[ticket - first_ticket_].safe = true;
  bool advanced = false;
  while (!pending_.empty() && pending_.front().safe) {
    committed_ = pending_.front().end;
    pending_.pop_front();
    ++first_ticket_;
    advanced = true;
  }
  if (advanced && commits_) commits_->fetch_add(1, std::memory_order_relaxed);
}

uint64_t PositionTracker::committed() const {
  std::lock_guard lock(mutex_);
  return committed_.offset;
}

PositionTracker::Position PositionTracker::committed_position() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

bool PositionTracker::settled() const {
  std::lock_guard lock(mutex_);
  return pending_.empty();
}

void PositionTracker::clamp_to(const Position& limit) {
  std::lock_guard lock(mutex_);
  if (committed_.offset > limit.offset) committed_ = limit;
  for (Pending& pending : pending_) {
    if (pending.end.offset > limit.offset) pending.end = limit;
  }
}

}  // namespace drover::inputs
