// `type = "file"`: follows the files matching `include` from one thread. A file is known by its
// device and inode, checked against a fingerprint of its head and of the bytes before its
// checkpoint, so recycled inodes and files rewritten in place are read anew, not skipped.
// Directory events (inotify) say which files to read, so idle files cost nothing; a periodic
// scan catches what events missed, and stands in for them when inotify is unavailable.
// Rotated and deleted files are read to their end through their open descriptor; a file
// rotated while drover was stopped is found by its inode next to its old path and finished.
// file_input.cpp has the loop and reading; _discovery, _descriptors and _checkpoints.cpp the rest.
#pragma once

#include "agent/checkpoint_store.h"
#include "agent/plugin.h"
#include "inputs/file/directory_watcher.h"
#include "inputs/file/file_input_config.h"
#include "inputs/file/tailer.h"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

struct stat;

namespace drover::inputs {

class FileInput final : public Input {
 public:
  FileInput(FileInputConfig config, const ComponentContext& context);
  ~FileInput() override;

  Status run(BatchSink& out, std::stop_token stop) override;
  Status save_positions() override;
  /// The files followed, with their lag in bytes (size on disk past the committed position),
  /// the largest first; asks the input thread for a snapshot of them.
  void describe(JsonWriter& out) override;
  bool settled() const override {
    for (const auto& [key, tailer] : tailers_) {
      if (!tailer->settled()) return false;
    }
    for (const auto& tailer : closing_) {
      if (!tailer->settled()) return false;
    }
    return true;
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct FileStatus {
    std::string path;
    std::string key;
    uint64_t read = 0;
    uint64_t committed = 0;
    bool rotated = false;
  };
  /// On the input thread, when describe() asked: the snapshot it waits for.
  void publish_status_if_wanted();

  void load_checkpoints();
  /// Matches the globs, follows new files, and marks files gone from their path as orphaned.
  void scan(bool at_startup);
  void follow(const std::string& path, const struct stat& st, bool at_startup);
  /// copytruncate's copy of a followed file: the offset its original was read to when it was
  /// truncated, and the tracker of that content's acks, or, if the truncation is still to
  /// come, nothing yet (it waits for it).
  enum class CopyVerdict { kNotACopy, kCopy, kWaitForTruncation };
  CopyVerdict judge_copy(const std::string& path, int fd, uint64_t size, uint64_t& offset,
                         std::shared_ptr<PositionTracker>& positions);
  /// A followed file was truncated: its copy, if one waits, is read from where it stopped.
  void on_rewrite(const Tailer& original, Tailer::Rewrite rewrite);
  /// Judges again the files waiting to be told copies of `original_key` or not.
  void rejudge_copies_of(const std::string& original_key);
  /// Files with a checkpoint but no longer at their path: rotated while drover was stopped.
  void finish_rotated_while_stopped();
  enum class Opened { kYes, kNoDescriptorFree, kOutOfDescriptors, kGone };
  /// Opens a waiting file's descriptor, closing an idle one if the cap is reached.
  Opened ensure_open(Tailer& tailer);
  /// The process has no descriptor left (ulimit -n): the file waits in starved_, idle files
  /// give theirs back, and the starved ones are tried again at the next housekeeping.
  void starve(const std::string& key, int error);
  void retry_starved();
  /// Closes the files idle longest; false if every open file has reading to do.
  bool free_idle_descriptors();
  /// Drops from active_ the files with nothing left to ship or to checkpoint.
  void forget_quiet_files();
  TailContext tail_context() {
    return {config_,           context_.name,      counters_, read_buffer_, json_parser_.get(),
            json_invalid_log_, json_timestamp_log_};
  }
  void mark_ready(const std::string& key);
  void absorb(const DirectoryWatcher::Events& events);
  void forget_path(const Tailer& tailer);
  bool excluded(const std::string& path) const;
  /// One turn for every file with something to read; false if the sink refused (stopping).
  bool read_ready_files(BatchSink& out, std::stop_token stop, Clock::time_point now);
  /// Ships unfinished lines and joined records that waited past their timeouts.
  bool flush_stale_records(BatchSink& out, std::stop_token stop, Clock::time_point now);
  void close_idle_files(Clock::time_point now);
  /// Retires a rotated or deleted file read to its end: it leaves once its acks are in.
  using Tailers = std::unordered_map<std::string, std::unique_ptr<Tailer>>;
  void retire(Tailers::iterator it);
  void settle_retired_files();
  /// Counts orphaned files after files were orphaned outside a scan (a walk over every file);
  /// a file leaving tailers_ takes itself off the count.
  void count_orphaned_files();
  /// Rotated files still read, and files waiting to be judged copies: while there are any, the
  /// loop polls (events name them by paths it may not know).
  size_t rotated_files() const { return orphaned_files_ + waiting_copies_.size(); }
  void took_descriptor(Tailer& tailer);
  void give_back_descriptor(Tailer& tailer);
  Checkpoints snapshot();
  void save_if_changed(bool force = false);

  FileInputConfig config_;
  ComponentContext context_;
  CheckpointStore store_;
  DirectoryWatcher watcher_;
  Checkpoints known_;  // files not followed now: kept to resume or to tell apart, until retention
  Checkpoints last_saved_;      // what the store holds (its `seen` times may be older)
  bool known_changed_ = false;  // known_ gained or lost an entry since the last save
  bool save_failed_ = false;
  // Files read since they were last quiet (Tailer::quiet): the only ones whose position or
  // unfinished line can change, so the once-a-second work skips the thousands of idle ones.
  std::set<std::string> active_;
  LogLimiter checkpoint_error_log_;  // the last save failed: the next one compares every entry
  Tailers tailers_;                  // by key ("dev:inode"); hashed: looked up for every line read
  std::unordered_map<std::string, std::string> key_by_path_;  // paths events name, to keys
  std::deque<std::string> ready_;                             // keys to read, in turn order
  std::unordered_set<std::string> ready_set_;
  struct RecentRewrite {
    std::string original_key;
    Tailer::Rewrite rewrite;
    Clock::time_point at;
    Clock::time_point until;
  };
  std::vector<RecentRewrite> recent_rewrites_;  // a copy found after the truncation matches one
  struct WaitingCopy {
    std::string original_key;
    Clock::time_point since;
    Clock::time_point until;           // no truncation by then: not a copy, read it whole
    std::optional<uint64_t> all_read;  // its size, when all of it matched what was shipped
  };
  std::map<std::string, WaitingCopy> waiting_copies_;  // by path
  std::vector<std::unique_ptr<Tailer>> closing_;       // read to the end, batches still in flight
  std::vector<char> read_buffer_;
  std::unique_ptr<JsonLineParser> json_parser_;  // parser = "json"
  LogLimiter json_invalid_log_;
  LogLimiter json_timestamp_log_;
  std::shared_ptr<const RE2> multiline_pattern_;  // compiled once, shared by every file
  // Advances of any file's committed position (from output threads): whether to save.
  std::shared_ptr<std::atomic<uint64_t>> commits_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::array<uint64_t, 4> last_signature_{};
  std::set<std::string> unopenable_;  // paths whose open failed, so it is logged once
  std::unordered_set<Tailer*> open_;  // followed files holding a descriptor (max_open_files_)
  size_t max_open_files_;             // the config's, lowered to half of what ulimit -n allows
  std::set<std::string> starved_;     // files no descriptor was left for, by key
  LogLimiter descriptors_log_;
  Counter* descriptors_exhausted_ = nullptr;
  size_t orphaned_files_ = 0;
  uint64_t scans_ = 0;
  size_t last_scan_matches_ = 0;
  bool told_polling_ = false;
  bool scan_soon_ = false;
  // Until the first scan has followed every file: /readyz says so, with progress.
  std::optional<StartupProgress::Task> startup_task_;
  size_t startup_resumed_ = 0;  // files the start-up scan found, for its summary line
  size_t startup_new_ = 0;      // directory entries changed: scan once the burst is over

  // describe() (admin thread) asks, the input thread answers at its next turn.
  std::mutex status_mutex_;
  std::condition_variable status_cv_;
  std::atomic<uint64_t> status_wanted_{0};
  uint64_t status_published_ = 0;  // under status_mutex_
  uint64_t status_seen_ = 0;       // the input thread's: the last request it answered
  std::vector<FileStatus> status_files_;
  std::atomic<bool> running_{false};

  FileInputCounters counters_;
  Counter* checkpoint_errors_;
  Counter* files_closed_idle_;
  Counter* files_finished_;    // rotated or deleted files read to their end and closed
  Counter* open_files_gauge_;  // a gauge: set, not added
  Counter* followed_files_gauge_;
  Counter* rotated_files_gauge_;  // rotated files still read, and files waiting to be judged
};

}  // namespace drover::inputs
