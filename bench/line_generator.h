// The bench's input: deterministic, unique lines of about 200 bytes in the shapes hosts write —
// web access-log lines, JSON application logs and plain application lines, interleaved.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace drover::bench {

class LineGenerator {
 public:
  explicit LineGenerator(uint64_t seed = 42) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  /// Line `sequence` (no newline). Lines differ in their sequence number, so none repeats.
  void line(uint64_t sequence, std::string& out);

 private:
  uint64_t next();
  uint64_t state_;
};

/// Writes `lines` lines to `path` (replacing it); returns the bytes written. With `line_bytes`,
/// every line is that long (newline included): its sequence number first, so lines stay unique,
/// then generated text cut or repeated to length; 0 keeps the generator's ~200-byte mix.
uint64_t write_lines(const std::filesystem::path& path, uint64_t lines, uint64_t first_sequence = 0,
                     uint32_t line_bytes = 0);

}  // namespace drover::bench
