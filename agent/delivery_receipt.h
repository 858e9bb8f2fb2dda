// What each output did with each record of a batch whose producer waits to hear it (the
// events input's ack = "delivered": the HTTP reply names topic, partition and offset). Filled
// by outputs as delivery reports arrive, read once the batch's ack group has completed.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

class DeliveryReceipt {
 public:
  struct Outcome {
    size_t record = 0;
    std::string output;
    std::string topic;  // empty when the record was not delivered
    int32_t partition = -1;
    int64_t offset = -1;  // -1: Kafka did not say (a duplicate the idempotent producer caught)
    std::string error;    // why it was not delivered (dead-lettered)
  };

  void delivered(size_t record, std::string_view output, std::string_view topic, int32_t partition,
                 int64_t offset) {
    std::lock_guard lock(mutex_);
    outcomes_.push_back({record, std::string(output), std::string(topic), partition, offset, {}});
  }
  void failed(size_t record, std::string_view output, std::string error) {
    std::lock_guard lock(mutex_);
    outcomes_.push_back({record, std::string(output), {}, -1, -1, std::move(error)});
  }
  /// In the order they were reported; a record may have one per output.
  std::vector<Outcome> outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Outcome> outcomes_;
};

}  // namespace drover
