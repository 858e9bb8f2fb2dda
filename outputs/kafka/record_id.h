// The record id header: "<source>:<position>", where <source> is 16 hex digits naming the host
// and the source's path. Stable across re-sends, so consumers can drop at-least-once duplicates.
// Compact because it rides on every record: the readable "<host>:<path>:<position>" it replaced
// was a third of a 200-byte line's bytes, serialised and compressed per record.
#pragma once

#include "agent/batch.h"

#include <cstdint>
#include <string_view>

namespace drover::outputs {

/// FNV-1a (64 bit) over host, a newline and path: a documented hash any consumer can compute.
uint64_t record_source_hash(std::string_view host, std::string_view path);

/// One source's record ids: the source part is rendered once, the position per record.
class RecordId {
 public:
  static constexpr size_t kSourceSize = 16 + 1;         // hex digits and ':'
  static constexpr size_t kMaxSize = kSourceSize + 20;  // and a uint64_t in decimal
  using Buffer = char[kMaxSize];

  explicit RecordId(const SourceInfo& source);
  /// The id of the record at `position`, written into `out`.
  std::string_view render(uint64_t position, Buffer& out) const;

 private:
  char source_[kSourceSize];
};

}  // namespace drover::outputs
