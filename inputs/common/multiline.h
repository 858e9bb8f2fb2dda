// Joins the lines of one record that spans several (a stack trace, a pretty-printed message):
// a line starts a new record when it matches `start_pattern`, or continues the one before it
// when it matches `continuation_pattern`. RE2: matching time is linear in the line, whatever
// the pattern, so no line can stall the input. One per source (a followed file, a stream),
// used by one thread.
#pragma once

#include "inputs/common/line_splitter.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <re2/re2.h>
#include <string>

namespace drover::inputs {

struct MultilineConfig {
  std::string start_pattern;         // a matching line begins a record...
  std::string continuation_pattern;  // ...or a matching line continues one (exactly one is set)
  std::chrono::milliseconds flush_timeout{1000};  // a record no line was added to for this long
  uint64_t max_lines = 500;                       // later lines of the record are dropped
  uint64_t max_bytes = 1 << 20;                   // ...as are bytes beyond this (flagged)
};

class MultilineJoiner {
 public:
  using Clock = std::chrono::steady_clock;

  /// `pattern` compiled once per input and shared by its files.
  MultilineJoiner(const MultilineConfig& config, std::shared_ptr<const RE2> pattern);

  /// Adds a line; calls on_record(const Line&) for a record the line completes.
  template <typename OnRecord>
  void add(const Line& line, OnRecord&& on_record);
  /// Emits the record being joined, if any.
  template <typename OnRecord>
  void flush(OnRecord&& on_record);

  bool has_pending() const { return lines_ != 0; }
  Clock::time_point last_line() const { return last_line_; }
  /// Lines left out of records (max_lines or max_bytes reached).
  uint64_t dropped_lines() const { return dropped_lines_; }

 private:
  bool continues(std::string_view text) const {
    const bool matches = RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *pattern_);
    return start_mode_ ? !matches : matches;
  }

  const MultilineConfig& config_;
  std::shared_ptr<const RE2> pattern_;
  bool start_mode_;
  std::string text_;
  uint64_t offset_ = 0;
  uint64_t end_offset_ = 0;
  uint64_t lines_ = 0;
  bool truncated_ = false;
  uint64_t dropped_lines_ = 0;
  Clock::time_point last_line_;
};

template <typename OnRecord>
void MultilineJoiner::add(const Line& line, OnRecord&& on_record) {
  last_line_ = Clock::now();
  if (lines_ != 0 && continues(line.text)) {
    end_offset_ = line.end_offset;
    if (lines_ >= config_.max_lines || text_.size() + 1 + line.text.size() > config_.max_bytes) {
      truncated_ = true;
      ++dropped_lines_;
      return;
    }
    text_ += '\n';
    text_.append(line.text);
    truncated_ = truncated_ || line.truncated;
    ++lines_;
    return;
  }
  flush(on_record);
  text_.assign(line.text.substr(0, static_cast<size_t>(config_.max_bytes)));
  offset_ = line.offset;
  end_offset_ = line.end_offset;
  truncated_ = line.truncated || line.text.size() > config_.max_bytes;
  lines_ = 1;
}

template <typename OnRecord>
void MultilineJoiner::flush(OnRecord&& on_record) {
  if (lines_ == 0) return;
  on_record(Line{text_, offset_, end_offset_, truncated_});
  text_.clear();
  lines_ = 0;
  truncated_ = false;
}

}  // namespace drover::inputs
