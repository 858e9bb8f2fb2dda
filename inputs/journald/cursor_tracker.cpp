#include "inputs/journald/cursor_tracker.h"

namespace drover::inputs {

uint64_t CursorTracker::add(std::string last_cursor) {
  std::lock_guard lock(mutex_);
  pending_.push_back({std::move(last_cursor), false});
  return first_ticket_ + pending_.size() - 1;
}

void CursorTracker::on_batch_safe(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  if (ticket < first_ticket_ || ticket - first_ticket_ >= pending_.size()) return;
  pending_[ticket - first_ticket_].safe = true;
  while (!pending_.empty() && pending_.front().safe) {
    committed_ = std::move(pending_.front().last_cursor);
    pending_.pop_front();
    ++first_ticket_;
  }
}

std::string CursorTracker::committed() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

bool CursorTracker::settled() const {
  std::lock_guard lock(mutex_);
  return pending_.empty();
}

}  // namespace drover::inputs
