// `type = "journald"`: the systemd journal as records, one per entry (journal_record.h), in
// journal order. Its checkpoint is the cursor of the last entry every output has made safe
// (I1), saved atomically to checkpoints/<input>.cursor; a restart resumes right after it.
// Journal files that come and go (rotation, vacuuming) and files sd-journal cannot read
// (corrupt, no permission: it skips those without a word) are counted and logged.
#pragma once

#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "agent/wake_fd.h"
#include "inputs/journald/cursor_tracker.h"
#include "inputs/journald/journal.h"
#include "inputs/journald/journal_record.h"
#include "inputs/journald/journald_config.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace drover::inputs {

class JournaldInput final : public Input {
 public:
  JournaldInput(JournaldConfig config, const ComponentContext& context);
  Status run(BatchSink& out, std::stop_token stop) override;
  Status save_positions() override;
  bool settled() const override { return tracker_->settled(); }
  void describe(JsonWriter& out) override;

 private:
  /// Where reading starts: after the saved cursor, or where start_at says.
  Status position(Journal& journal);
  /// Opens and positions the journal, trying again while it cannot (counted, logged, on
  /// /healthz); nullopt once stop is requested.
  std::optional<Journal> open_journal(std::stop_token stop);
  /// Reads entries until the batch is full or the journal has no more; null when none.
  std::shared_ptr<Batch> read_batch(Journal& journal);
  /// Logs and counts journal files sd-journal cannot read, once each.
  void check_files();
  void save_if_changed();

  JournaldConfig config_;
  ComponentContext context_;
  std::shared_ptr<const SourceInfo> source_;
  JournalRecordEncoder encoder_;
  JournalEntry entry_;  // reused per entry
  std::filesystem::path cursor_file_;
  std::shared_ptr<CursorTracker> tracker_;
  std::string saved_cursor_;
  std::set<std::string> checked_files_;
  WakeFd wake_;  // stop

  mutable std::mutex status_mutex_;  // what describe() reads
  std::string where_;
  uint64_t unreadable_files_ = 0;
  std::string open_error_;  // why the journal cannot be opened, while it cannot

  Counter* records_;
  Counter* bytes_;
  Counter* invalid_utf8_;
  Counter* read_errors_;
  Counter* checkpoint_errors_;
  Counter* files_changed_total_;
  Counter* unreadable_files_total_;
  Counter* cursor_lost_;
  Counter* truncated_fields_;
  LogLimiter read_error_log_{std::chrono::minutes(1)};
  LogLimiter open_error_log_{std::chrono::minutes(1)};
  LogLimiter files_changed_log_{std::chrono::minutes(10)};
  LogLimiter checkpoint_error_log_{std::chrono::minutes(1)};
};

}  // namespace drover::inputs
