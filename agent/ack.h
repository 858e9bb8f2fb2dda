// Acknowledgement of one batch by every output it was routed to. Created by the router,
// completed by output threads; the last completion tells the source its position is safe.
#pragma once

#include "agent/delivery_receipt.h"

#include <atomic>
#include <cstdint>
#include <memory>

namespace drover {

/// Implemented by a source that commits positions (e.g. the file input's checkpoints).
/// Called from output threads; must not block on I/O.
class AckReceiver {
 public:
  virtual ~AckReceiver() = default;
  /// Every output has made the batch with this `ticket` safe (delivered or durable).
  virtual void on_batch_safe(uint64_t ticket) = 0;
};

/// Counts outstanding outputs for one batch. A batch an output could not make safe
/// (stopped before delivery) is never completed: its position stays uncommitted (I1).
class AckGroup {
 public:
  /// The receiver is shared so it outlives every batch still in flight (a file may be closed
  /// while its last batches are being delivered).
  AckGroup(std::shared_ptr<AckReceiver> receiver, uint64_t ticket,
           std::shared_ptr<DeliveryReceipt> receipt = nullptr)
      : receiver_(std::move(receiver)), ticket_(ticket), receipt_(std::move(receipt)) {}

  void expect(int outputs) { pending_.store(outputs, std::memory_order_relaxed); }

  /// Set when the source waits for delivery itself: a copy on disk does not make the batch
  /// safe, and outputs note each record's outcome here.
  DeliveryReceipt* receipt() const { return receipt_.get(); }
  const std::shared_ptr<DeliveryReceipt>& receipt_ptr() const { return receipt_; }

  /// One output made the batch safe.
  void complete() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1 && receiver_ != nullptr) {
      receiver_->on_batch_safe(ticket_);
    }
  }

 private:
  std::shared_ptr<AckReceiver> receiver_;
  uint64_t ticket_;
  std::shared_ptr<DeliveryReceipt> receipt_;
  std::atomic<int> pending_{1};
};

}  // namespace drover
