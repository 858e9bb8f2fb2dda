#include "inputs/file/fingerprint.h"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace drover::inputs {
namespace {

// Reads exactly `size` bytes at `offset`; false on error or end of file.
bool read_exactly(int fd, char* out, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

uint64_t fnv1a64(std::string_view bytes, uint64_t hash) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::optional<HeadFingerprint> read_head(int fd, uint64_t limit) {
  char buffer[kHeadBytes];
  const auto wanted = static_cast<size_t>(std::min<uint64_t>(sizeof buffer, limit));
  size_t length = 0;
  while (length < wanted) {
    const ssize_t n = ::pread(fd, buffer + length, wanted - length, static_cast<off_t>(length));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    length += static_cast<size_t>(n);
  }
  return HeadFingerprint{static_cast<uint32_t>(length), fnv1a64({buffer, length})};
}

bool head_matches(int fd, const HeadFingerprint& fingerprint) {
  if (fingerprint.length == 0) return true;
  char buffer[kHeadBytes];
  const size_t length = std::min<size_t>(fingerprint.length, sizeof buffer);
  return read_exactly(fd, buffer, length, 0) && fnv1a64({buffer, length}) == fingerprint.hash;
}

std::optional<std::string> bytes_before(int fd, uint64_t offset) {
  std::string bytes(static_cast<size_t>(std::min<uint64_t>(offset, kTailBytes)), '\0');
  if (!read_exactly(fd, bytes.data(), bytes.size(), offset - bytes.size())) return std::nullopt;
  return bytes;
}

std::optional<uint64_t> hash_before(int fd, uint64_t offset) {
  auto bytes = bytes_before(fd, offset);
  if (!bytes) return std::nullopt;
  return fnv1a64(*bytes);
}

}  // namespace drover::inputs
