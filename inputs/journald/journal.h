// The systemd journal through libsystemd's sd-journal: the local system's, a directory of
// journal files, or the files themselves, filtered by matches. Reads entries in order, names
// them by cursor, and says when more arrive. Not thread-safe: one per input thread.
#pragma once

#include "base/status.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <systemd/sd-journal.h>
#include <vector>

namespace drover::inputs {

struct JournaldConfig;

/// One entry: its realtime timestamp and its fields, in the journal's order (a field may come
/// more than once).
struct JournalEntry {
  int64_t realtime_us = 0;
  std::vector<std::pair<std::string_view, std::string_view>> fields;  // name, value
  std::string storage{};  // what `fields` views, when Journal::read_entry() filled them

  std::string_view message() const;
};

class Journal {
 public:
  /// Opens the journal the settings name and applies their matches.
  static Result<Journal> open(const JournaldConfig& config);

  /// Before the first entry: next() reads the oldest.
  Status seek_head();
  /// After the newest entry: next() reads only what is written from now on.
  Status seek_tail();
  /// After the entry `cursor` names. False when the journal no longer has that entry (vacuumed,
  /// or another journal): next() then reads the first entry after where it was.
  Result<bool> seek_after(const std::string& cursor);

  /// Moves to the next entry; false at the end of the journal.
  Result<bool> next();
  /// Of the current entry.
  std::string cursor() const;
  int64_t realtime_us() const;
  /// The value of one field, without its "NAME=".
  std::optional<std::string_view> field(const char* name) const;
  /// Calls visit(name, value) for every field of the current entry; a view is valid only
  /// during its call (sd-journal decompresses every field into the same buffer).
  template <typename Visit>
  void for_each_field(Visit&& visit) const;
  /// The current entry, its fields copied into `entry.storage`, each cut to `max_field_bytes`;
  /// returns how many were cut.
  size_t read_entry(JournalEntry& entry, size_t max_field_bytes);

  /// Waits up to `timeout` for the journal to change (or for `wake_fd` to be readable); next()
  /// may then read more. True when journal files were added or removed (rotation, vacuuming).
  bool wait(std::chrono::milliseconds timeout, int wake_fd);

 private:
  struct Close {
    void operator()(sd_journal* journal) const { sd_journal_close(journal); }
  };
  struct Span {
    size_t name, name_size, value, value_size;  // in JournalEntry::storage
  };
  explicit Journal(sd_journal* journal) : journal_(journal) {}
  std::unique_ptr<sd_journal, Close> journal_;
  std::vector<Span> spans_;  // read_entry()'s, kept from entry to entry
};

template <typename Visit>
void Journal::for_each_field(Visit&& visit) const {
  const void* data = nullptr;
  size_t size = 0;
  sd_journal_restart_data(journal_.get());
  while (sd_journal_enumerate_data(journal_.get(), &data, &size) > 0) {
    const std::string_view text(static_cast<const char*>(data), size);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    visit(text.substr(0, equals), text.substr(equals + 1));
  }
}

/// Every journal file under the places the settings name (to tell which of them cannot be
/// read: sd-journal skips those silently).
std::vector<std::string> journal_files(const JournaldConfig& config);
/// Opens one journal file alone and reads its first entry: the reason it cannot be read, if
/// it cannot.
std::optional<std::string> unreadable_journal_file(const std::string& path);

}  // namespace drover::inputs
