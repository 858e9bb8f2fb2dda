#include "inputs/file/tailer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace drover::inputs {

Tailer::Tailer(std::string key, std::shared_ptr<const SourceInfo> source, UniqueFd fd,
               uint64_t offset, const FileInputConfig& config,
               std::shared_ptr<const RE2> multiline_pattern,
               std::shared_ptr<std::atomic<uint64_t>> commits)
    : key_(std::move(key)),
      source_(std::move(source)),
      fd_(std::move(fd)),
      read_offset_(offset),
      splitter_(offset, config.max_line_bytes),
      encoder_(config.codec, *source_, config.invalid_utf8),
      commits_(std::move(commits)) {
  if (config.multiline && multiline_pattern) {
    multiline_.emplace(*config.multiline, std::move(multiline_pattern));
  }
  uint64_t tail_hash = 0;
  if (is_open()) {
    // Only what lies before the offset: bytes beyond it may be cut and rewritten before they
    // are read, and the head must describe what was shipped (learn_head adds the rest).
    if (auto head = read_head(fd_.get(), offset)) head_ = *head;
    remember_start(offset);
    if (auto tail = bytes_before(fd_.get(), offset)) {
      tail_ = std::move(*tail);
      tail_known_ = true;
      tail_hash = fnv1a64(tail_);
    }
  }
  positions_ = std::make_shared<PositionTracker>(offset, tail_hash, commits_);
}

bool Tailer::reopen(UniqueFd fd) {
  if (!head_matches(fd.get(), head_)) return false;
  fd_ = std::move(fd);
  if (!tail_known_) {
    if (auto tail = bytes_before(fd_.get(), read_offset_)) {
      tail_ = std::move(*tail);
      tail_known_ = true;
    }
  }
  return true;
}

Checkpoint Tailer::checkpoint(int64_t seen_unix_ms) const {
  return checkpoint_at(positions_->committed_position(), seen_unix_ms);
}

Checkpoint Tailer::checkpoint_at(const PositionTracker::Position& committed,
                                 int64_t seen_unix_ms) const {
  return Checkpoint{source_->path, committed.offset,    head_.length,
                    head_.hash,    committed.tail_hash, seen_unix_ms};
}

bool Tailer::reported(const PositionTracker::Position& committed) const {
  return reported_ && reported_->first == committed && reported_->second == head_;
}

std::optional<Checkpoint> Tailer::checkpoint_if_moved(int64_t seen_unix_ms) {
  const PositionTracker::Position committed = positions_->committed_position();
  if (reported(committed)) return std::nullopt;
  reported_.emplace(committed, head_);
  return checkpoint_at(committed, seen_unix_ms);
}

bool Tailer::quiet() const {
  return !has_pending() && positions_->settled() && reported(positions_->committed_position());
}

void Tailer::remember_tail(std::string_view chunk) {
  if (chunk.size() >= kTailBytes) {
    tail_.assign(chunk.substr(chunk.size() - kTailBytes));
  } else {
    tail_.append(chunk);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
  tail_known_ = true;
}

uint64_t Tailer::tail_hash_at(uint64_t end_offset, std::string_view chunk,
                              uint64_t chunk_start) const {
  const uint64_t length = std::min<uint64_t>(end_offset, kTailBytes);
  const uint64_t begin = end_offset - length;
  // The bytes in hand: tail_ (just before chunk_start), then the chunk.
  const uint64_t known_from = chunk_start - std::min<uint64_t>(chunk_start, tail_.size());
  if (tail_known_ && begin >= known_from && end_offset <= chunk_start + chunk.size()) {
    std::string bytes;
    if (begin < chunk_start) {
      const auto from_tail = static_cast<size_t>(std::min(chunk_start, end_offset) - begin);
      bytes.append(tail_, tail_.size() - static_cast<size_t>(chunk_start - begin), from_tail);
    }
    if (end_offset > chunk_start) {
      const auto from = static_cast<size_t>(std::max(begin, chunk_start) - chunk_start);
      bytes.append(chunk.substr(from, static_cast<size_t>(end_offset - chunk_start) - from));
    }
    return fnv1a64(bytes);
  }
  return hash_before(fd_.get(), end_offset).value_or(0);
}

void Tailer::learn_head(std::string_view chunk, uint64_t chunk_start) {
  // From the bytes this read brought, not from reading the file's start again: the file may
  // have been cut in between (copytruncate), and a head taken of the new content would not
  // match the copy made of the old one.
  const uint64_t chunk_end = chunk_start + chunk.size();
  if (head_.length < kHeadBytes && chunk_start <= head_.length && chunk_end > head_.length) {
    const uint64_t end = std::min<uint64_t>(chunk_end, kHeadBytes);
    const auto from = static_cast<size_t>(head_.length - chunk_start);
    const uint64_t so_far = head_.length == 0 ? kFnvOffsetBasis : head_.hash;
    head_.hash = fnv1a64(chunk.substr(from, static_cast<size_t>(end - head_.length)), so_far);
    head_.length = static_cast<uint32_t>(end);
  }
  if (start_length_ < kStartBytes && chunk_start <= start_length_ && chunk_end > start_length_) {
    const uint64_t end = std::min<uint64_t>(chunk_end, kStartBytes);
    chunk.copy(start_.data() + start_length_, static_cast<size_t>(end - start_length_),
               static_cast<size_t>(start_length_ - chunk_start));
    start_length_ = static_cast<uint8_t>(end);
  }
}

void Tailer::remember_start(uint64_t limit) {
  const ssize_t n = ::pread(fd_.get(), start_.data(), std::min<uint64_t>(start_.size(), limit), 0);
  start_length_ = n > 0 ? static_cast<uint8_t>(n) : 0;
}

bool Tailer::push(const TailContext& context, BatchSink& out, std::stop_token stop) {
  if (!batch_) return true;
  std::shared_ptr<Batch> batch = std::move(batch_);
  batch_.reset();
  batch->set_ack(
      std::make_shared<AckGroup>(positions_, positions_->add(batch_end_offset_, batch_tail_hash_)));
  context.counters.records->add(batch->record_count());
  return out.push(std::move(batch), stop);
}

Tailer::Turn Tailer::read(const TailContext& context, BatchSink& out, std::stop_token stop) {
  const FileInputConfig& config = context.config;
  std::string timestamp;  // of this read, formatted only when it yields a line
  const auto on_line = [&](const Line& line) { add_line(context, line, timestamp); };

  // The first read of a turn starts at the bytes just before the offset: one call both checks
  // that they are unchanged (the file was not truncated, nor rewritten in place and grown
  // again, as copytruncate does) and brings what was appended. A file written a line at a time
  // costs one system call per line, not four.
  size_t recheck = tail_known_ && tail_.size() == std::min<uint64_t>(read_offset_, kTailBytes)
                       ? tail_.size()
                       : 0;
  if (recheck == 0 && read_offset_ > 0) {
    // Nothing in hand to compare: only the size can tell a truncation.
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) {
      context.counters.read_errors->add();
      return Turn::kCaughtUp;
    }
    if (static_cast<uint64_t>(st.st_size) < read_offset_ &&
        !start_over(context, out, stop, shrank_why(st))) {
      return Turn::kStopped;
    }
  }

  std::vector<char>& buffer = context.read_buffer;
  uint64_t read_this_turn = 0;
  while (read_this_turn < config.batch_bytes && !stop.stop_requested()) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(buffer.size() - recheck, config.batch_bytes - read_this_turn));
    const ssize_t n = ::pread(fd_.get(), buffer.data(), recheck + want,
                              static_cast<off_t>(read_offset_ - recheck));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      context.counters.read_errors->add();
      spdlog::warn("input {}: read error on {}: {}", context.input, source_->path,
                   std::strerror(errno));
      break;
    }
    auto got = static_cast<size_t>(n);
    const size_t checked = std::exchange(recheck, 0);
    if (checked > 0) {
      if (got < checked || std::memcmp(buffer.data(), tail_.data(), checked) != 0) {
        if (!start_over(context, out, stop, changed_why(got < checked))) return Turn::kStopped;
        continue;  // from offset 0
      }
      got -= checked;
    }
    if (got == 0) break;
    const std::string_view chunk(buffer.data() + checked, got);
    const uint64_t chunk_start = read_offset_;
    // This read's records: the chunk and the line the last read left unfinished. The JSON
    // envelope roughly doubles short lines.
    const uint64_t carried = splitter_.offset() - splitter_.line_start();
    reserve_hint_ = (chunk.size() + carried) * (context.config.codec == Codec::kJson ? 2 : 1) + 512;
    splitter_.feed(chunk, on_line);
    learn_head(chunk, chunk_start);
    read_offset_ += chunk.size();
    read_this_turn += chunk.size();
    context.counters.bytes->add(chunk.size());
    last_growth_ = Clock::now();
    if (batch_ && batch_->byte_size() >= config.batch_bytes) {
      batch_tail_hash_ = tail_hash_at(batch_end_offset_, chunk, chunk_start);
      if (!push(context, out, stop)) return Turn::kStopped;
    }
    remember_tail(chunk);
    // Short: the end of the file. What is appended later brings an event (or the next poll).
    if (got < want) break;
  }
  if (batch_) batch_tail_hash_ = tail_hash_at(batch_end_offset_, {}, read_offset_);
  if (!push(context, out, stop)) return Turn::kStopped;
  return read_this_turn >= config.batch_bytes ? Turn::kMore : Turn::kCaughtUp;
}

std::string Tailer::shrank_why(const struct stat& st) const {
  return fmt::format("shrank to {} bytes, below offset {} (truncated)", st.st_size, read_offset_);
}

std::string Tailer::changed_why(bool maybe_shorter) const {
  struct stat st {};
  if (maybe_shorter && ::fstat(fd_.get(), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) < read_offset_) {
    return shrank_why(st);
  }
  return fmt::format(
      "changed before offset {} (rewritten in place, as by copytruncate, and grown past it "
      "again)",
      read_offset_);
}

void Tailer::add_record(const TailContext& context, const Line& record, std::string& timestamp) {
  // The clock is read once per read (the records of one read share a timestamp), not per record.
  if (timestamp.empty()) timestamp = format_timestamp(unix_ms_now());
  if (!batch_) {
    batch_ = std::make_shared<Batch>(source_, unix_ms_now());
    // Sized to what this read brought (a one-line file gets a small batch): the queue counts a
    // batch's capacity against its memory budget (I4).
    // Not capped at batch_bytes: the batch is pushed after the read that fills it, so it holds
    // all of that read's records, and a string grown past its reserve is copied and freed.
    batch_->reserve(static_cast<size_t>(reserve_hint_),
                    static_cast<size_t>(reserve_hint_ / 128 + 16));
  }
  const auto outcome = encoder_.encode(*batch_, record, timestamp, context.json_parser);
  if (outcome.replaced_utf8_bytes != 0) {
    context.counters.invalid_utf8_bytes->add(outcome.replaced_utf8_bytes);
  }
  if (outcome.json != nullptr) count_json_outcome(context, record, *outcome.json);
  if (record.truncated) context.counters.truncated_lines->add();
  batch_end_offset_ = record.end_offset;
}

void Tailer::count_json_outcome(const TailContext& context, const Line& record,
                                const ParsedJsonLine& json) {
  const JsonParserConfig& config = context.config.json;
  std::string_view problem;
  LogLimiter* log = nullptr;
  if (!json.is_object) {
    context.counters.json_invalid->add();
    problem = json.error;
    log = &context.json_invalid_log;
  } else {
    if (!json.timestamp_error.empty()) {
      context.counters.json_timestamp_invalid->add();
      problem = json.timestamp_error;
      log = &context.json_timestamp_log;
    }
    if (!config.key_field.empty() && !json.key) context.counters.json_key_missing->add();
  }
  if (log == nullptr) return;
  if (auto suppressed = log->allow()) {
    spdlog::warn("input {}: {} at offset {}: {}; shipped {}{}", context.input, path(),
                 record.offset, problem,
                 json.is_object ? "with the time it was read" : "as text, flagged with json_error",
                 *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
  }
}

void Tailer::add_line(const TailContext& context, const Line& line, std::string& timestamp) {
  if (!multiline_) {
    add_record(context, line, timestamp);
    return;
  }
  const uint64_t dropped = multiline_->dropped_lines();
  multiline_->add(line, [&](const Line& record) { add_record(context, record, timestamp); });
  if (multiline_->dropped_lines() != dropped) {
    context.counters.multiline_dropped_lines->add(multiline_->dropped_lines() - dropped);
  }
}

void Tailer::flush_partial_line(const TailContext& context) {
  if (!splitter_.has_partial_line()) return;
  std::string timestamp;
  splitter_.flush([&](const Line& line) { add_line(context, line, timestamp); });
  context.counters.partial_lines->add();
}

void Tailer::flush_joined_record(const TailContext& context) {
  if (!multiline_) return;
  std::string timestamp;
  multiline_->flush([&](const Line& record) { add_record(context, record, timestamp); });
}

bool Tailer::flush_pending(const TailContext& context, BatchSink& out, std::stop_token stop) {
  if (!has_pending()) return true;
  flush_partial_line(context);
  flush_joined_record(context);
  batch_tail_hash_ = tail_hash_at(batch_end_offset_, {}, read_offset_);
  return push(context, out, stop);
}

bool Tailer::flush_stale(const TailContext& context, BatchSink& out, std::stop_token stop,
                         Clock::time_point now) {
  if (splitter_.has_partial_line() && now - last_growth_ >= context.config.partial_line_timeout) {
    flush_partial_line(context);
  }
  if (multiline_ && multiline_->has_pending() &&
      now - multiline_->last_line() >= context.config.multiline->flush_timeout) {
    flush_joined_record(context);
  }
  if (!batch_) return true;
  batch_tail_hash_ = tail_hash_at(batch_end_offset_, {}, read_offset_);
  return push(context, out, stop);
}

bool Tailer::start_over(const TailContext& context, BatchSink& out, std::stop_token stop,
                        std::string_view why) {
  spdlog::warn("input {}: {} {}; reading it again from offset 0", context.input, source_->path,
               why);
  context.counters.rewrites->add();
  // The unfinished line ended where the old content did: ship it with what came before.
  bool pushed = true;
  if (has_pending()) {
    flush_partial_line(context);
    flush_joined_record(context);
    batch_tail_hash_ = tail_hash_at(batch_end_offset_, {}, read_offset_);
  }
  if (batch_) pushed = push(context, out, stop);
  // The old content's acks are still due, and its bytes now live only in copytruncate's copy,
  // if one was made: the copy takes this tracker over (adopt_positions), so its checkpoint
  // covers what was read here but not yet acknowledged. The new content counts from 0.
  if (tail_known_) rewrite_ = Rewrite{read_offset_, tail_, head_, positions_};
  positions_ = std::make_shared<PositionTracker>(0, 0, commits_);
  read_offset_ = 0;
  splitter_ = LineSplitter(0, context.config.max_line_bytes);
  tail_.clear();
  tail_known_ = true;
  head_ = {};
  start_length_ = 0;
  return pushed;
}

void Tailer::adopt_positions(std::shared_ptr<PositionTracker> positions) {
  positions->clamp_to({read_offset_, tail_known_ ? fnv1a64(tail_) : 0});
  positions_ = std::move(positions);
  reported_.reset();
}

}  // namespace drover::inputs
