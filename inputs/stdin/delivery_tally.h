// How many records of a finite source (standard input) Kafka has: each batch is registered
// with its receipt, and once every output has made it safe its records are counted as
// delivered or, those an output dead-lettered, as failed. Called from output threads.
#pragma once

#include "agent/ack.h"
#include "agent/delivery_receipt.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace drover::inputs {

class DeliveryTally final : public AckReceiver {
 public:
  /// Registers a batch of `records`; returns the ack group to give it.
  std::shared_ptr<AckGroup> add(const std::shared_ptr<DeliveryTally>& self, size_t records);
  void on_batch_safe(uint64_t ticket) override;

  struct Totals {
    uint64_t sent = 0;       // records registered
    uint64_t delivered = 0;  // in Kafka
    uint64_t failed = 0;     // dead-lettered
  };
  Totals totals() const;
  /// Waits until every registered batch is safe, or `deadline`; true if they all are.
  bool wait_all_safe(std::chrono::steady_clock::time_point deadline) const;

 private:
  struct Pending {
    size_t records;
    std::shared_ptr<DeliveryReceipt> receipt;
  };
  mutable std::mutex mutex_;
  mutable std::condition_variable safe_;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_ticket_ = 0;
  Totals totals_;
};

}  // namespace drover::inputs
