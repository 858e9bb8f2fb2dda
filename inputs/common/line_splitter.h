// Cuts a byte stream into lines at '\n' (memchr), keeping only an unfinished last line
// between reads. Lines over max_line_bytes are cut to that size and flagged; the rest of such
// a line is skipped up to its newline. One per source (a tailed file, a stream), used by one
// thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace drover::inputs {

struct Line {
  std::string_view text;  // without "\n" or "\r\n"
  uint64_t offset;        // of the line's first byte in the file
  uint64_t end_offset;    // just past its newline: where reading resumes after it
  bool truncated;
};

class LineSplitter {
 public:
  LineSplitter(uint64_t start_offset, size_t max_line_bytes)
      : offset_(start_offset), line_start_(start_offset), max_line_bytes_(max_line_bytes) {}

  /// Calls on_line(const Line&) for every line completed by `data`. Views stay valid only
  /// during the call.
  template <typename OnLine>
  void feed(std::string_view data, OnLine&& on_line);

  /// Emits an unfinished last line as if it had ended (the file is being closed).
  template <typename OnLine>
  void flush(OnLine&& on_line) {
    if (!has_partial_line()) return;
    emit(carry_, offset_, carry_truncated_, on_line);
    carry_.clear();
    carry_truncated_ = false;
  }

  /// Bytes fed so far, as a file offset.
  uint64_t offset() const { return offset_; }
  /// Offset just past the last complete line: where a restart must resume.
  uint64_t line_start() const { return line_start_; }
  bool has_partial_line() const { return offset_ != line_start_; }

 private:
  template <typename OnLine>
  void emit(std::string_view text, uint64_t end_offset, bool truncated, OnLine& on_line) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    on_line(Line{text, line_start_, end_offset, truncated});
    line_start_ = end_offset;
  }

  uint64_t offset_;
  uint64_t line_start_;
  size_t max_line_bytes_;
  std::string carry_;  // the unfinished line's bytes (at most max_line_bytes_)
  bool carry_truncated_ = false;
};

template <typename OnLine>
void LineSplitter::feed(std::string_view data, OnLine&& on_line) {
  const char* p = data.data();
  const char* const end = p + data.size();
  const uint64_t base = offset_;
  offset_ += data.size();
  const auto file_offset = [&](const char* at) {
    return base + static_cast<uint64_t>(at - data.data());
  };

  if (!carry_.empty() || carry_truncated_) {
    const char* newline =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* piece_end = newline != nullptr ? newline : end;
    const size_t room = max_line_bytes_ - carry_.size();
    const size_t piece = static_cast<size_t>(piece_end - p);
    carry_.append(p, std::min(room, piece));
    carry_truncated_ = carry_truncated_ || piece > room;
    if (newline == nullptr) return;
    emit(carry_, file_offset(newline) + 1, carry_truncated_, on_line);
    carry_.clear();
    carry_truncated_ = false;
    p = newline + 1;
  }
  while (p < end) {
    const char* newline =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (newline == nullptr) break;
    const size_t length = static_cast<size_t>(newline - p);
    if (length <= max_line_bytes_) {
      emit(std::string_view(p, length), file_offset(newline) + 1, false, on_line);
    } else {
      emit(std::string_view(p, max_line_bytes_), file_offset(newline) + 1, true, on_line);
    }
    p = newline + 1;
  }
  if (p < end) {
    const size_t rest = static_cast<size_t>(end - p);
    carry_.assign(p, std::min(rest, max_line_bytes_));
    carry_truncated_ = rest > max_line_bytes_;
  }
}

}  // namespace drover::inputs
