// One followed file: its descriptor (closed while the file idles), where reading stands, the
// unfinished last line, the batch being filled and the positions waiting for acks. Reading
// notices a file cut short or rewritten in place (copytruncate) and starts it over from 0.
// Owned and used by the file input's thread; only the PositionTracker is shared with outputs.
#pragma once

#include "agent/batch.h"
#include "agent/checkpoint_store.h"
#include "agent/log_limiter.h"
#include "agent/metrics.h"
#include "agent/plugin.h"
#include "agent/unique_fd.h"
#include "inputs/common/json_line.h"
#include "inputs/common/line_splitter.h"
#include "inputs/common/multiline.h"
#include "inputs/common/record_encoder.h"
#include "inputs/file/file_input_config.h"
#include "inputs/file/fingerprint.h"
#include "inputs/file/position_tracker.h"

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

struct stat;

namespace drover::inputs {

struct FileInputCounters {
  Counter* records;
  Counter* bytes;
  Counter* truncated_lines;
  Counter* partial_lines;
  Counter* invalid_utf8_bytes;
  Counter* files_opened;
  Counter* rewrites;  // files cut short or rewritten under drover, read again from 0
  Counter* read_errors;
  Counter* multiline_dropped_lines;
  Counter* json_invalid;            // lines that are not a JSON object, shipped as text
  Counter* json_timestamp_invalid;  // the timestamp field missing or unreadable: read time used
  Counter* json_key_missing;        // no key field: the output's key (if any) applies
};

/// What every tailer of one input shares: settings, counters and one read buffer.
struct TailContext {
  const FileInputConfig& config;
  const std::string& input;
  FileInputCounters& counters;
  std::vector<char>& read_buffer;
  JsonLineParser* json_parser;  // parser = "json"; else nullptr
  LogLimiter& json_invalid_log;
  LogLimiter& json_timestamp_log;
};

class Tailer {
 public:
  using Clock = std::chrono::steady_clock;

  /// `fd` may be empty: the file is followed but waits for a descriptor. `multiline_pattern`
  /// is set when the input joins multiline records.
  Tailer(std::string key, std::shared_ptr<const SourceInfo> source, UniqueFd fd, uint64_t offset,
         const FileInputConfig& config, std::shared_ptr<const RE2> multiline_pattern = nullptr,
         std::shared_ptr<std::atomic<uint64_t>> commits = nullptr);

  enum class Turn {
    kCaughtUp,  // read all there was
    kMore,      // used its turn's budget; more is waiting
    kStopped,   // the sink refused a batch: the agent is stopping
  };
  /// Reads up to one turn's budget and pushes what it read.
  Turn read(const TailContext& context, BatchSink& out, std::stop_token stop);
  /// Ships an unfinished last line and a record still being joined as they are (rotation);
  /// false if the sink refused.
  bool flush_pending(const TailContext& context, BatchSink& out, std::stop_token stop);
  /// The same, for whichever of them waited past its timeout.
  bool flush_stale(const TailContext& context, BatchSink& out, std::stop_token stop,
                   Clock::time_point now);

  bool is_open() const { return fd_.get() >= 0; }
  int fd() const { return fd_.get(); }
  /// Gives the descriptor back; reading resumes from the same offset once reopen() is called.
  void close() { fd_.reset(); }
  /// Takes `fd` after checking it is this file still (same head); false if it is not.
  bool reopen(UniqueFd fd);

  const std::string& key() const { return key_; }
  const std::string& path() const { return source_->path; }
  uint64_t read_offset() const { return read_offset_; }
  /// Read but not shipped yet: an unfinished line, or a record still being joined.
  bool has_pending() const {
    return splitter_.has_partial_line() || (multiline_ && multiline_->has_pending());
  }
  bool settled() const { return positions_->settled(); }
  Clock::time_point last_growth() const { return last_growth_; }

  /// The content before reading started over (truncation, rewrite): what a copy of the old
  /// content, made by copytruncate, is recognised by.
  struct Rewrite {
    uint64_t old_offset;
    std::string old_tail;  // the bytes just before old_offset
    HeadFingerprint old_head;
    std::shared_ptr<PositionTracker> positions;  // the old content's, with its acks still due
  };
  /// This file is a copy of another up to read_offset(), made by copytruncate: `positions`,
  /// that file's tracker for the copied content, becomes this one's, so the checkpoint stays
  /// behind what was read there but not yet acknowledged (I1 across the rotation).
  void adopt_positions(std::shared_ptr<PositionTracker> positions);
  std::optional<Rewrite> take_rewrite() { return std::exchange(rewrite_, std::nullopt); }
  const HeadFingerprint& head() const { return head_; }
  /// False when the file cannot start with `prefix` (at most kStartBytes): judged from memory,
  /// as last read, so comparing a new file with thousands of followed ones costs no reads.
  /// True when unsure (the file was shorter then, or is being read again from 0).
  bool may_start_with(std::string_view prefix) const {
    const size_t known = std::min(prefix.size(), static_cast<size_t>(start_length_));
    return std::string_view(start_.data(), known) == prefix.substr(0, known);
  }
  static constexpr size_t kStartBytes = 32;
  /// The bytes just before read_offset(), as read.
  const std::string& tail() const { return tail_; }

  /// What a restart needs to resume after the last acknowledged line, and to verify the file.
  Checkpoint checkpoint(int64_t seen_unix_ms) const;
  /// The same, but only when it differs from the one this returned last: what a journal of
  /// changes needs, found without a table lookup per file.
  std::optional<Checkpoint> checkpoint_if_moved(int64_t seen_unix_ms);
  /// Nothing left that could move its checkpoint: no batch waits for its ack, no line for its
  /// end, and checkpoint_if_moved() has returned the final position.
  bool quiet() const;

  bool orphaned = false;  // its path names another file now, or nothing: drain, then close
  bool waited_for_descriptor = false;  // max_open_files kept it from being read at once
  uint64_t found_by_scan = 0;          // the last scan that found it at a path (FileInput)

 private:
  bool push(const TailContext& context, BatchSink& out, std::stop_token stop);
  /// A line goes to the joiner, or straight into the batch.
  void add_line(const TailContext& context, const Line& line, std::string& timestamp);
  void add_record(const TailContext& context, const Line& record, std::string& timestamp);
  void count_json_outcome(const TailContext& context, const Line& record,
                          const ParsedJsonLine& json);
  void flush_partial_line(const TailContext& context);
  void flush_joined_record(const TailContext& context);
  /// Ships what was pending of the old content, then counts from 0; false if the sink refused.
  bool start_over(const TailContext& context, BatchSink& out, std::stop_token stop,
                  std::string_view why);
  std::string shrank_why(const struct stat& st) const;
  /// Why the bytes before the offset no longer match; `maybe_shorter`: fewer came back.
  std::string changed_why(bool maybe_shorter) const;
  void remember_tail(std::string_view chunk);
  uint64_t tail_hash_at(uint64_t end_offset, std::string_view chunk, uint64_t chunk_start) const;
  /// Extends the head fingerprint and the first bytes with what a read brought.
  void learn_head(std::string_view chunk, uint64_t chunk_start);
  void remember_start(uint64_t limit);
  Checkpoint checkpoint_at(const PositionTracker::Position& committed, int64_t seen_unix_ms) const;
  /// checkpoint_if_moved() last returned this position, with the current head.
  bool reported(const PositionTracker::Position& committed) const;

  std::string key_;
  std::shared_ptr<const SourceInfo> source_;
  UniqueFd fd_;
  uint64_t read_offset_;
  LineSplitter splitter_;
  RecordEncoder encoder_;
  std::optional<MultilineJoiner> multiline_;
  std::shared_ptr<PositionTracker> positions_;
  std::shared_ptr<std::atomic<uint64_t>> commits_;  // shared by the input's trackers
  HeadFingerprint head_;
  std::array<char, kStartBytes> start_{};  // the file's first bytes (see may_start_with)
  uint8_t start_length_ = 0;
  std::string tail_;  // the bytes just before read_offset_ (at most kTailBytes)
  bool tail_known_ = false;
  std::shared_ptr<Batch> batch_;  // being filled
  uint64_t batch_end_offset_ = 0;
  uint64_t batch_tail_hash_ = 0;
  uint64_t reserve_hint_ = 4096;  // bytes a new batch reserves: what the last read brought
  Clock::time_point last_growth_ = Clock::now();
  std::optional<Rewrite> rewrite_;
  std::optional<std::pair<PositionTracker::Position, HeadFingerprint>> reported_;
};

}  // namespace drover::inputs
