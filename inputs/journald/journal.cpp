#include "inputs/journald/journal.h"

#include "inputs/journald/journald_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <poll.h>

namespace drover::inputs {
namespace {

Error journal_error(std::string_view what, int negative_errno) {
  return Error{fmt::format("{}: {}", what, std::strerror(-negative_errno))};
}

bool is_journal_file(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return name.ends_with(".journal") || name.ends_with(".journal~");
}

// Journal files in `dir` and in its subfolders (one per machine id in /var/log/journal).
void add_journal_files(const std::filesystem::path& dir, int depth, std::vector<std::string>& out) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_directory(error) && depth > 0) {
      add_journal_files(entry.path(), depth - 1, out);
    } else if (entry.is_regular_file(error) && is_journal_file(entry.path())) {
      out.push_back(entry.path().string());
    }
  }
}

}  // namespace

Result<Journal> Journal::open(const JournaldConfig& config) {
  sd_journal* raw = nullptr;
  int r = 0;
  std::string where;
  if (!config.directory.empty()) {
    where = config.directory;
    r = sd_journal_open_directory(&raw, config.directory.c_str(), 0);
  } else if (!config.files.empty()) {
    where = fmt::format("{}", fmt::join(config.files, ", "));
    std::vector<const char*> paths;
    for (const auto& file : config.files) paths.push_back(file.c_str());
    paths.push_back(nullptr);
    r = sd_journal_open_files(&raw, paths.data(), 0);
  } else {
    where = "the system journal";
    r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
  }
  if (r < 0) return journal_error("cannot open " + where, r);
  Journal journal(raw);
  // Fields up to max_field_bytes (sd-journal's default cuts compressed ones at 64 KiB); what
  // is longer, read_entry() cuts to the same size.
  sd_journal_set_data_threshold(raw, config.max_field_bytes);
  for (const auto& match : journal_matches(config)) {
    r = sd_journal_add_match(raw, match.data(), match.size());
    if (r < 0) return journal_error("cannot add the journal match \"" + match + "\"", r);
  }
  // Watching starts here, so nothing written between now and the first wait() is missed.
  r = sd_journal_get_fd(raw);
  if (r < 0) return journal_error("cannot watch " + where, r);
  return journal;
}

Status Journal::seek_head() {
  const int r = sd_journal_seek_head(journal_.get());
  if (r < 0) return journal_error("cannot seek to the journal's head", r);
  return Status::ok();
}

Status Journal::seek_tail() {
  int r = sd_journal_seek_tail(journal_.get());
  if (r < 0) return journal_error("cannot seek to the journal's tail", r);
  // On the newest entry (sd-journal's documented way), so next() reads only what comes after.
  r = sd_journal_previous(journal_.get());
  if (r < 0) return journal_error("cannot seek to the journal's tail", r);
  return Status::ok();
}

Result<bool> Journal::seek_after(const std::string& cursor) {
  int r = sd_journal_seek_cursor(journal_.get(), cursor.c_str());
  if (r < 0) return journal_error("cannot seek to the cursor \"" + cursor + "\"", r);
  r = sd_journal_next(journal_.get());
  if (r < 0) return journal_error("cannot read at the cursor \"" + cursor + "\"", r);
  if (r == 0) return false;
  if (sd_journal_test_cursor(journal_.get(), cursor.c_str()) > 0) return true;
  // On the first entry after where the cursor's was: one back, so next() reads it.
  r = sd_journal_previous(journal_.get());
  if (r < 0) return journal_error("cannot read at the cursor \"" + cursor + "\"", r);
  if (r == 0) {
    if (Status s = seek_head(); !s) return s.error();
  }
  return false;
}

Result<bool> Journal::next() {
  const int r = sd_journal_next(journal_.get());
  if (r < 0) return journal_error("cannot read the next journal entry", r);
  return r > 0;
}

std::string Journal::cursor() const {
  char* text = nullptr;
  if (sd_journal_get_cursor(journal_.get(), &text) < 0 || text == nullptr) return {};
  std::string cursor(text);
  std::free(text);  // NOLINT(cppcoreguidelines-no-malloc): sd-journal's allocation
  return cursor;
}

int64_t Journal::realtime_us() const {
  uint64_t usec = 0;
  if (sd_journal_get_realtime_usec(journal_.get(), &usec) < 0) return 0;
  return static_cast<int64_t>(usec);
}

std::optional<std::string_view> Journal::field(const char* name) const {
  const void* data = nullptr;
  size_t size = 0;
  if (sd_journal_get_data(journal_.get(), name, &data, &size) < 0) return std::nullopt;
  const std::string_view text(static_cast<const char*>(data), size);
  const size_t prefix = std::strlen(name) + 1;  // "NAME="
  if (text.size() < prefix) return std::nullopt;
  return text.substr(prefix);
}

size_t Journal::read_entry(JournalEntry& entry, size_t max_field_bytes) {
  entry.realtime_us = realtime_us();
  entry.storage.clear();
  spans_.clear();
  size_t cut = 0;
  for_each_field([&](std::string_view name, std::string_view value) {
    if (value.size() > max_field_bytes) {
      value = value.substr(0, max_field_bytes);
      ++cut;
    }
    spans_.push_back(
        {entry.storage.size(), name.size(), entry.storage.size() + name.size(), value.size()});
    entry.storage.append(name);
    entry.storage.append(value);
  });
  // Views made once the storage no longer grows.
  entry.fields.clear();
  const std::string_view all = entry.storage;
  for (const Span& span : spans_) {
    entry.fields.emplace_back(all.substr(span.name, span.name_size),
                              all.substr(span.value, span.value_size));
  }
  return cut;
}

std::string_view JournalEntry::message() const {
  for (const auto& [name, value] : fields) {
    if (name == "MESSAGE") return value;
  }
  return {};
}

bool Journal::wait(std::chrono::milliseconds timeout, int wake_fd) {
  uint64_t journal_timeout_us = 0;
  if (sd_journal_get_timeout(journal_.get(), &journal_timeout_us) >= 0 &&
      journal_timeout_us != UINT64_MAX) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto now_us =
        static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
    const auto until = std::chrono::milliseconds(
        journal_timeout_us > now_us ? (journal_timeout_us - now_us + 999) / 1000 : 0);
    timeout = std::min(timeout, until);
  }
  pollfd fds[2] = {{sd_journal_get_fd(journal_.get()),
                    static_cast<short>(sd_journal_get_events(journal_.get())), 0},
                   {wake_fd, POLLIN, 0}};
  ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  return sd_journal_process(journal_.get()) == SD_JOURNAL_INVALIDATE;
}

std::vector<std::string> journal_files(const JournaldConfig& config) {
  if (!config.files.empty()) return config.files;
  std::vector<std::string> files;
  if (!config.directory.empty()) {
    add_journal_files(config.directory, 0, files);
  } else {
    add_journal_files("/var/log/journal", 1, files);
    add_journal_files("/run/log/journal", 1, files);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<std::string> unreadable_journal_file(const std::string& path) {
  sd_journal* raw = nullptr;
  const char* paths[] = {path.c_str(), nullptr};
  int r = sd_journal_open_files(&raw, paths, 0);
  if (r < 0) return std::string(std::strerror(-r));
  std::unique_ptr<sd_journal, void (*)(sd_journal*)> journal(raw, sd_journal_close);
  r = sd_journal_seek_head(raw);
  if (r >= 0) r = sd_journal_next(raw);
  if (r < 0) return std::string(std::strerror(-r));
  return std::nullopt;
}

}  // namespace drover::inputs
