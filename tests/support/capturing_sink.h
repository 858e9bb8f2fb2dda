// A BatchSink that keeps every batch it is given, so a test can look at them and decide
// when to acknowledge each one.
#pragma once

#include "agent/plugin.h"

#include <mutex>
#include <string>
#include <vector>

namespace drover::testing {

class CapturingSink final : public BatchSink {
 public:
  bool push(std::shared_ptr<Batch> batch, std::stop_token) override {
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(batch));
    return true;
  }

  size_t batch_count() const {
    std::lock_guard lock(mutex_);
    return batches_.size();
  }
  std::vector<std::string> records() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& batch : batches_) {
      for (size_t i = 0; i < batch->record_count(); ++i) out.emplace_back(batch->record(i));
    }
    return out;
  }
  /// Acknowledges batch `index` as if every output had made it safe.
  void ack(size_t index) {
    std::lock_guard lock(mutex_);
    batches_.at(index)->complete();
  }
  void ack_all() {
    std::lock_guard lock(mutex_);
    for (auto& batch : batches_) batch->complete();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Batch>> batches_;
};

}  // namespace drover::testing
