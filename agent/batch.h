// A batch: records encoded once at the edge into one contiguous buffer, plus the source
// they came from and the ack that commits the source position. Built by one input thread,
// then shared read-only by every output it is routed to.
#pragma once

#include "agent/ack.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

/// Where a batch's records came from. Shared by all batches of one source, so
/// templates such as `{path}` cost nothing per record.
struct SourceInfo {
  std::string input;  // the input's name in the config
  std::string host;
  std::string path;  // file path, or empty for sources without one
};

class Batch {
 public:
  Batch(std::shared_ptr<const SourceInfo> source, int64_t timestamp_ms)
      : source_(std::move(source)), timestamp_ms_(timestamp_ms) {}

  /// Appends one record's bytes; `position` is where it starts in its source (a file offset),
  /// which names the record in dead letters and record ids. Callers that encode in place use
  /// `start_record()`, `buffer()`, then `seal_record()`.
  void add_record(std::string_view bytes, uint64_t position = 0) {
    start_record();
    bytes_.append(bytes);
    seal_record(position);
  }
  void start_record() { record_start_ = static_cast<uint32_t>(bytes_.size()); }
  std::string& buffer() { return bytes_; }
  void seal_record(uint64_t position = 0) {
    records_.push_back(
        {record_start_, static_cast<uint32_t>(bytes_.size()) - record_start_, position});
  }
  /// A record already in buffer(), at `offset` (records are added in order, back to back).
  void add_span(uint32_t offset, uint32_t size, uint64_t position) {
    records_.push_back({offset, size, position});
  }
  /// Gives the record sealed last its own Kafka timestamp (lifted from the record itself);
  /// records without one carry the batch's.
  void set_record_timestamp(int64_t unix_ms) {
    if (timestamps_.size() < records_.size()) timestamps_.resize(records_.size(), timestamp_ms_);
    timestamps_.back() = unix_ms;
  }
  /// Gives the record sealed last a key (lifted from the record itself).
  void set_record_key(std::string_view key) {
    if (keys_.size() < records_.size()) keys_.resize(records_.size(), KeySpan{});
    keys_.back() = {static_cast<uint32_t>(key_bytes_.size()), static_cast<int32_t>(key.size())};
    key_bytes_.append(key);
  }
  /// A record of `other`, with its position, key and timestamp.
  void add_record_from(const Batch& other, size_t i) {
    add_record(other.record(i), other.position(i));
    if (other.has_record_timestamps()) set_record_timestamp(other.timestamp_ms(i));
    if (auto key = other.key(i)) set_record_key(*key);
  }
  void reserve(size_t bytes, size_t records) {
    bytes_.reserve(bytes);
    records_.reserve(records);
  }

  size_t record_count() const { return records_.size(); }
  /// The encoded records' bytes.
  size_t byte_size() const { return bytes_.size(); }
  /// What the batch holds in memory (capacity, not size): what memory budgets count (I4).
  size_t memory_bytes() const {
    return sizeof(Batch) + bytes_.capacity() + records_.capacity() * sizeof(Span) +
           timestamps_.capacity() * sizeof(int64_t) + keys_.capacity() * sizeof(KeySpan) +
           key_bytes_.capacity();
  }
  bool empty() const { return records_.empty(); }
  std::string_view record(size_t i) const {
    return {bytes_.data() + records_[i].offset, records_[i].size};
  }
  uint64_t position(size_t i) const { return records_[i].position; }
  /// Index of the record whose bytes start at `data` (a pointer from record()).
  size_t index_of(const char* data) const {
    const auto offset = static_cast<uint32_t>(data - bytes_.data());
    size_t low = 0;
    size_t high = records_.size();
    while (low + 1 < high) {
      const size_t mid = (low + high) / 2;
      if (records_[mid].offset <= offset)
        low = mid;
      else
        high = mid;
    }
    return low;
  }
  const SourceInfo& source() const { return *source_; }
  const std::shared_ptr<const SourceInfo>& source_ptr() const { return source_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }
  /// The record's own timestamp if it has one, else the batch's.
  int64_t timestamp_ms(size_t i) const {
    return i < timestamps_.size() ? timestamps_[i] : timestamp_ms_;
  }
  bool has_record_timestamps() const { return !timestamps_.empty(); }
  /// The key lifted from the record, if it has one.
  std::optional<std::string_view> key(size_t i) const {
    if (i >= keys_.size() || keys_[i].size < 0) return std::nullopt;
    return std::string_view(key_bytes_.data() + keys_[i].offset,
                            static_cast<size_t>(keys_[i].size));
  }
  bool has_keys() const { return !keys_.empty(); }

  void set_ack(std::shared_ptr<AckGroup> ack) { ack_ = std::move(ack); }
  /// Called by an output once every record of the batch is safe.
  void complete() const {
    if (ack_) ack_->complete();
  }
  AckGroup* ack() const { return ack_.get(); }
  /// Where outputs note each record's outcome, when its source waits for delivery.
  DeliveryReceipt* receipt() const { return ack_ ? ack_->receipt() : nullptr; }
  /// Shared with the other outputs the batch went to; a queue that frees the batch keeps it.
  const std::shared_ptr<AckGroup>& ack_group() const { return ack_; }

 private:
  struct Span {
    uint32_t offset;  // in bytes_
    uint32_t size;
    uint64_t position;  // in the source
  };
  struct KeySpan {
    uint32_t offset = 0;  // in key_bytes_
    int32_t size = -1;    // -1: no key
  };
  std::shared_ptr<const SourceInfo> source_;
  int64_t timestamp_ms_;
  // Empty unless some record has its own; then one entry per record up to the last that has.
  std::vector<int64_t> timestamps_;
  std::vector<KeySpan> keys_;
  std::string key_bytes_;
  std::string bytes_;
  std::vector<Span> records_;
  uint32_t record_start_ = 0;
  std::shared_ptr<AckGroup> ack_;
};

using BatchPtr = std::shared_ptr<const Batch>;

}  // namespace drover
