#include "outputs/kafka/record_id.h"

#include <charconv>
#include <cstring>

namespace drover::outputs {

uint64_t record_source_hash(std::string_view host, std::string_view path) {
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t hash = kOffsetBasis;
  const auto mix = [&](std::string_view bytes) {
    for (const char c : bytes) {
      hash ^= static_cast<unsigned char>(c);
      hash *= kPrime;
    }
  };
  mix(host);
  mix("\n");
  mix(path);
  return hash;
}

RecordId::RecordId(const SourceInfo& source) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hash = record_source_hash(source.host, source.path);
  for (int i = 15; i >= 0; --i) {
    source_[i] = kHex[hash & 0xf];
    hash >>= 4;
  }
  source_[16] = ':';
}

std::string_view RecordId::render(uint64_t position, Buffer& out) const {
  std::memcpy(out, source_, kSourceSize);
  const auto end = std::to_chars(out + kSourceSize, out + kMaxSize, position).ptr;
  return {out, static_cast<size_t>(end - out)};
}

}  // namespace drover::outputs
