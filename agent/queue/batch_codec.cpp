#include "agent/queue/batch_codec.h"

#include <fmt/format.h>

#include <cstring>

namespace drover {
namespace {

// Version 2 adds per-record timestamps and keys; batches without them are still written as
// version 1, which an older drover reads after a downgrade.
constexpr uint8_t kVersionPlain = 1;
constexpr uint8_t kVersionWithRecordFields = 2;
constexpr uint8_t kHasTimestamps = 1;
constexpr uint8_t kHasKeys = 2;

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out.append(bytes, sizeof(T));
}

void put_text(std::string& out, std::string_view text) {
  put<uint32_t>(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  template <typename T>
  bool get(T& value) {
    if (data_.size() - offset_ < sizeof(T)) return fail(sizeof(T));
    std::memcpy(&value, data_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }
  bool get_text(std::string& text) {
    uint32_t size = 0;
    return get(size) && get_bytes(text, size);
  }
  bool get_bytes(std::string& bytes, uint64_t size) {
    if (data_.size() - offset_ < size) return fail(size);
    bytes.assign(data_.data() + offset_, size);
    offset_ += size;
    return true;
  }
  std::string_view rest() const { return data_.substr(offset_); }
  const std::string& error() const { return error_; }

 private:
  bool fail(size_t wanted) {
    error_ = fmt::format("batch payload ends at byte {} of {} where {} more bytes were expected",
                         offset_, data_.size(), wanted);
    return false;
  }
  std::string_view data_;
  size_t offset_ = 0;
  std::string error_;
};

}  // namespace

void encode_batch(const Batch& batch, std::string& out) {
  const SourceInfo& source = batch.source();
  out.reserve(out.size() + 1 + 8 + 3 * 4 + source.input.size() + source.host.size() +
              source.path.size() + 4 + batch.record_count() * 12 + batch.byte_size());
  const bool extras = batch.has_record_timestamps() || batch.has_keys();
  put<uint8_t>(out, extras ? kVersionWithRecordFields : kVersionPlain);
  put<int64_t>(out, batch.timestamp_ms());
  put_text(out, batch.source().input);
  put_text(out, batch.source().host);
  put_text(out, batch.source().path);
  put<uint32_t>(out, static_cast<uint32_t>(batch.record_count()));
  for (size_t i = 0; i < batch.record_count(); ++i) {
    put<uint32_t>(out, static_cast<uint32_t>(batch.record(i).size()));
    put<uint64_t>(out, batch.position(i));
  }
  if (extras) {
    const uint8_t flags =
        (batch.has_record_timestamps() ? kHasTimestamps : 0) | (batch.has_keys() ? kHasKeys : 0);
    put<uint8_t>(out, flags);
    if (batch.has_record_timestamps()) {
      for (size_t i = 0; i < batch.record_count(); ++i) put<int64_t>(out, batch.timestamp_ms(i));
    }
    if (batch.has_keys()) {
      for (size_t i = 0; i < batch.record_count(); ++i) {
        const auto key = batch.key(i);
        put<int32_t>(out, key ? static_cast<int32_t>(key->size()) : -1);
      }
      for (size_t i = 0; i < batch.record_count(); ++i) {
        if (const auto key = batch.key(i)) out.append(*key);
      }
    }
  }
  // Records usually lie back to back in the batch's buffer: then one copy for all of them.
  bool contiguous = true;
  for (size_t i = 1; i < batch.record_count() && contiguous; ++i) {
    const std::string_view previous = batch.record(i - 1);
    contiguous = previous.data() + previous.size() == batch.record(i).data();
  }
  if (contiguous && !batch.empty()) {
    const std::string_view first = batch.record(0);
    const std::string_view last = batch.record(batch.record_count() - 1);
    out.append(first.data(), static_cast<size_t>(last.data() + last.size() - first.data()));
  } else {
    for (size_t i = 0; i < batch.record_count(); ++i) out.append(batch.record(i));
  }
}

Result<std::shared_ptr<Batch>> decode_batch(std::string_view payload) {
  Reader in(payload);
  uint8_t version = 0;
  int64_t timestamp_ms = 0;
  auto source = std::make_shared<SourceInfo>();
  uint32_t count = 0;
  if (!in.get(version)) return Error{in.error()};
  if (version != kVersionPlain && version != kVersionWithRecordFields) {
    return Error{fmt::format("unknown batch encoding version {}", version)};
  }
  if (!in.get(timestamp_ms) || !in.get_text(source->input) || !in.get_text(source->host) ||
      !in.get_text(source->path) || !in.get(count)) {
    return Error{in.error()};
  }
  constexpr size_t kRecordEntry = sizeof(uint32_t) + sizeof(uint64_t);
  if (count > in.rest().size() / kRecordEntry) {
    return Error{
        fmt::format("{} records cannot fit in the {} bytes left", count, in.rest().size())};
  }
  std::vector<std::pair<uint32_t, uint64_t>> entries(count);
  uint64_t total = 0;
  for (auto& [size, position] : entries) {
    if (!in.get(size) || !in.get(position)) return Error{in.error()};
    total += size;
  }
  uint8_t flags = 0;
  std::vector<int64_t> timestamps;
  std::vector<int32_t> key_sizes;
  std::string key_bytes;
  if (version == kVersionWithRecordFields) {
    if (!in.get(flags)) return Error{in.error()};
    if ((flags & kHasTimestamps) != 0) {
      if (count > in.rest().size() / sizeof(int64_t)) return Error{"timestamps cut short"};
      timestamps.resize(count);
      for (auto& timestamp : timestamps) in.get(timestamp);
    }
    if ((flags & kHasKeys) != 0) {
      if (count > in.rest().size() / sizeof(int32_t)) return Error{"key sizes cut short"};
      key_sizes.resize(count);
      uint64_t key_total = 0;
      for (auto& size : key_sizes) {
        in.get(size);
        if (size > 0) key_total += static_cast<uint64_t>(size);
      }
      if (!in.get_bytes(key_bytes, key_total)) return Error{in.error()};
    }
  }
  const std::string_view bytes = in.rest();
  if (total != bytes.size()) {
    return Error{
        fmt::format("records add up to {} bytes, the payload holds {}", total, bytes.size())};
  }
  auto batch = std::make_shared<Batch>(std::move(source), timestamp_ms);
  batch->reserve(bytes.size(), count);
  batch->buffer().append(bytes);
  uint32_t offset = 0;
  size_t key_offset = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [size, position] = entries[i];
    batch->add_span(offset, size, position);
    offset += size;
    if (!timestamps.empty()) batch->set_record_timestamp(timestamps[i]);
    if (!key_sizes.empty() && key_sizes[i] >= 0) {
      const auto key_size = static_cast<size_t>(key_sizes[i]);
      batch->set_record_key(std::string_view(key_bytes).substr(key_offset, key_size));
      key_offset += key_size;
    }
  }
  return batch;
}

}  // namespace drover
