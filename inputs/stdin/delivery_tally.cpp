#include "inputs/stdin/delivery_tally.h"

#include <set>

namespace drover::inputs {

std::shared_ptr<AckGroup> DeliveryTally::add(const std::shared_ptr<DeliveryTally>& self,
                                             size_t records) {
  auto receipt = std::make_shared<DeliveryReceipt>();
  std::lock_guard lock(mutex_);
  const uint64_t ticket = next_ticket_++;
  pending_[ticket] = {records, receipt};
  totals_.sent += records;
  return std::make_shared<AckGroup>(self, ticket, std::move(receipt));
}

void DeliveryTally::on_batch_safe(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  std::set<size_t> failed;
  for (const auto& outcome : it->second.receipt->outcomes()) {
    if (!outcome.error.empty()) failed.insert(outcome.record);
  }
  totals_.failed += failed.size();
  totals_.delivered += it->second.records - failed.size();
  pending_.erase(it);
  if (pending_.empty()) safe_.notify_all();
}

DeliveryTally::Totals DeliveryTally::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

bool DeliveryTally::wait_all_safe(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return safe_.wait_until(lock, deadline, [&] { return pending_.empty(); });
}

}  // namespace drover::inputs
