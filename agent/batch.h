// A batch: records encoded once at the edge into one contiguous buffer, plus the source
// they came from and the ack that commits the source position. Built by one input thread,
// then shared read-only by every output it is routed to.
#pragma once

#include "agent/ack.h"

#include <cstdint>
#include <memory>
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
  void reserve(size_t bytes, size_t records) {
    bytes_.reserve(bytes);
    records_.reserve(records);
  }

  size_t record_count() const { return records_.size(); }
  /// The encoded records' bytes.
  size_t byte_size() const { return bytes_.size(); }
  /// What the batch holds in memory (capacity, not size): what memory budgets count (I4).
  size_t memory_bytes() const {
    return sizeof(Batch) + bytes_.capacity() + records_.capacity() * sizeof(Span);
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

  void set_ack(std::shared_ptr<AckGroup> ack) { ack_ = std::move(ack); }
  /// Called by an output once every record of the batch is safe.
  void complete() const {
    if (ack_) ack_->complete();
  }
  AckGroup* ack() const { return ack_.get(); }
  /// Shared with the other outputs the batch went to; a queue that frees the batch keeps it.
  const std::shared_ptr<AckGroup>& ack_group() const { return ack_; }

 private:
  struct Span {
    uint32_t offset;  // in bytes_
    uint32_t size;
    uint64_t position;  // in the source
  };
  std::shared_ptr<const SourceInfo> source_;
  int64_t timestamp_ms_;
  std::string bytes_;
  std::vector<Span> records_;
  uint32_t record_start_ = 0;
  std::shared_ptr<AckGroup> ack_;
};

using BatchPtr = std::shared_ptr<const Batch>;

}  // namespace drover
