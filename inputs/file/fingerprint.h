// What tells one file from another beyond its device and inode, which the kernel recycles:
// a hash of its head (up to 1 KiB, growing with the file, so files shorter than that are still
// told apart) and a hash of the bytes just before a position (so a file rewritten in place, as
// copytruncate does, is noticed even when it has grown past the position again).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::inputs {

constexpr uint32_t kHeadBytes = 1024;
constexpr uint32_t kTailBytes = 256;

struct HeadFingerprint {
  uint32_t length = 0;  // bytes hashed: min(file size, kHeadBytes) when taken
  uint64_t hash = 0;

  bool operator==(const HeadFingerprint&) const = default;
};

/// FNV-1a: stable across builds and releases, which checkpoints on disk need.
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
/// FNV-1a; `hash` continues the hash of the bytes before these (it has no final step).
uint64_t fnv1a64(std::string_view bytes, uint64_t hash = kFnvOffsetBasis);

/// The fingerprint of the first min(size, kHeadBytes, limit) bytes; nullopt when the read fails.
std::optional<HeadFingerprint> read_head(int fd, uint64_t limit = kHeadBytes);

/// True when the file still starts with the bytes `fingerprint` was taken of.
bool head_matches(int fd, const HeadFingerprint& fingerprint);

/// The min(offset, kTailBytes) bytes before `offset`; nullopt when the file is shorter.
std::optional<std::string> bytes_before(int fd, uint64_t offset);

/// Hash of the min(offset, kTailBytes) bytes before `offset`; nullopt when the file is shorter.
std::optional<uint64_t> hash_before(int fd, uint64_t offset);

}  // namespace drover::inputs
