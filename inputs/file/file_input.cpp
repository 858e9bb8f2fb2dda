#include "inputs/file/file_input.h"

#include "inputs/file/path_glob.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr size_t kReadChunk = 256 << 10;
// Directory events come in bursts (a rotation is a rename and a create): one scan per burst.
constexpr auto kEventScanGap = std::chrono::milliseconds(100);
// How long a file that grew waits for others to grow too, when the input was idle: a few
// milliseconds of latency for one wake-up per burst of appends instead of one per append.
constexpr auto kGatherAppends = std::chrono::milliseconds(5);

std::string key_of(const struct stat& st) { return fmt::format("{}:{}", st.st_dev, st.st_ino); }

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::optional<std::string> real_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
  return std::string(resolved);
}

/// Looks next to `old_path` for the file with `key`: where a rotation renamed it.
std::optional<std::string> find_by_key(const std::string& old_path, const std::string& key) {
  const std::string directory = directory_of(old_path);
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return std::nullopt;
  std::optional<std::string> found;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string path = (directory == "/" ? "" : directory) + "/" + entry->d_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && key_of(st) == key) {
      found = path;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

/// True when the first min(size, kHeadBytes) bytes of `fd` are those `other` starts with: a
/// copy, even one still being written, starts like its original.
bool same_start(int fd, uint64_t size, int other) {
  const auto length = static_cast<size_t>(std::min<uint64_t>(size, kHeadBytes));
  std::string mine(length, '\0');
  std::string theirs(length, '\0');
  return ::pread(fd, mine.data(), length, 0) == static_cast<ssize_t>(length) &&
         ::pread(other, theirs.data(), length, 0) == static_cast<ssize_t>(length) && mine == theirs;
}

/// The verdict on a checkpoint for the file open as `fd`.
struct Resume {
  uint64_t offset;
  std::string why;
  bool from_checkpoint;  // false: the file is not the one the checkpoint describes
};
Resume resume_offset(int fd, uint64_t size, const Checkpoint& checkpoint) {
  if (checkpoint.offset > size) {
    return {0,
            fmt::format("checkpoint {} is beyond its end ({}): it was truncated", checkpoint.offset,
                        size),
            false};
  }
  if (checkpoint.head_bytes != 0 &&
      !head_matches(fd, HeadFingerprint{checkpoint.head_bytes, checkpoint.head_hash})) {
    return {0, "same inode, different first bytes: a new file (inode reused or rewritten)", false};
  }
  if (checkpoint.tail_hash != 0 && hash_before(fd, checkpoint.offset) != checkpoint.tail_hash) {
    return {0,
            fmt::format("the bytes before checkpoint {} changed: it was rewritten in place",
                        checkpoint.offset),
            false};
  }
  return {checkpoint.offset, "checkpoint", true};
}

}  // namespace

FileInput::FileInput(FileInputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      store_(context.data_dir / "checkpoints" / (context.name + ".json")),
      watcher_(config_.use_inotify),
      read_buffer_(kReadChunk) {
  if (config_.multiline) {
    const auto& multiline = *config_.multiline;
    multiline_pattern_ = std::make_shared<const RE2>(
        multiline.start_pattern.empty() ? multiline.continuation_pattern : multiline.start_pattern,
        RE2::Quiet);
  }
  const Labels labels{{"input", context_.name}};
  Metrics& m = *context_.metrics;
  counters_ = FileInputCounters{
      &m.counter("drover_input_records_total", labels),
      &m.counter("drover_input_bytes_total", labels),
      &m.counter("drover_input_truncated_lines_total", labels),
      &m.counter("drover_input_partial_lines_flushed_total", labels),
      &m.counter("drover_input_invalid_utf8_bytes_total", labels),
      &m.counter("drover_input_files_opened_total", labels),
      &m.counter("drover_input_files_rewritten_total", labels),
      &m.counter("drover_input_read_errors_total", labels),
      &m.counter("drover_input_multiline_dropped_lines_total", labels),
      &m.counter("drover_input_json_invalid_total", labels),
      &m.counter("drover_input_json_timestamp_invalid_total", labels),
      &m.counter("drover_input_json_key_missing_total", labels),
  };
  if (config_.parser == Parser::kJson)
    json_parser_ = std::make_unique<JsonLineParser>(config_.json);
  checkpoint_errors_ = &m.counter("drover_input_checkpoint_errors_total", labels);
  files_closed_idle_ = &m.counter("drover_input_files_closed_idle_total", labels);
  files_finished_ = &m.counter("drover_input_rotated_files_finished_total", labels);
  open_files_gauge_ = &m.counter("drover_input_open_files", labels);
  followed_files_gauge_ = &m.counter("drover_input_followed_files", labels);
  rotated_files_gauge_ = &m.counter("drover_input_rotated_files", labels);
}

FileInput::~FileInput() = default;

void FileInput::load_checkpoints() {
  auto loaded = store_.load();
  if (!loaded) {
    checkpoint_errors_->add();
    spdlog::error(
        "input {}: {}; moved it aside to {}.corrupt and treating every file as new "
        "(start_at applies)",
        context_.name, loaded.error().message, store_.file().string());
    store_.quarantine();
    return;
  }
  known_ = std::move(*loaded);
  last_saved_ = known_;
  const int64_t now = unix_ms_now();
  for (auto& [key, checkpoint] : known_) {
    if (checkpoint.seen_unix_ms == 0) checkpoint.seen_unix_ms = now;  // written by version 1
  }
}

bool FileInput::excluded(const std::string& path) const {
  for (const auto& pattern : config_.exclude) {
    if (pattern.find('/') == std::string::npos) {
      const std::string name = path.substr(path.rfind('/') + 1);
      if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0) return true;
    } else if (glob_matches(pattern, path)) {
      return true;
    }
  }
  return false;
}

void FileInput::mark_ready(const std::string& key) {
  if (ready_set_.insert(key).second) ready_.push_back(key);
}

void FileInput::forget_path(const Tailer& tailer) {
  std::erase_if(key_by_path_, [&](const auto& entry) { return entry.second == tailer.key(); });
}

FileInput::CopyVerdict FileInput::judge_copy(const std::string& path, int fd, uint64_t size,
                                             uint64_t& offset) {
  const auto now = Clock::now();
  std::erase_if(recent_rewrites_, [&](const RecentRewrite& recent) { return recent.until < now; });
  auto waiting = waiting_copies_.find(path);
  for (const RecentRewrite& recent : recent_rewrites_) {
    const Tailer::Rewrite& old = recent.rewrite;
    const bool waited_for_this = waiting != waiting_copies_.end() &&
                                 waiting->second.original_key == recent.original_key &&
                                 recent.at >= waiting->second.since;
    if (waited_for_this && waiting->second.all_read == size) {
      offset = size;  // unchanged since it was found to hold only what had been shipped
      return CopyVerdict::kCopy;
    }
    if (old.old_head.length == 0 || !head_matches(fd, old.old_head)) continue;
    if (waited_for_this && size <= old.old_offset) {
      offset = size;  // all of it was read from the original before the truncation
      return CopyVerdict::kCopy;
    }
    // The copy holds the old content up to where drover had read it, and maybe more.
    if (size >= old.old_offset && bytes_before(fd, old.old_offset) == old.old_tail) {
      offset = old.old_offset;
      return CopyVerdict::kCopy;
    }
  }
  std::string start(std::min<uint64_t>(size, Tailer::kStartBytes), '\0');
  if (::pread(fd, start.data(), start.size(), 0) != static_cast<ssize_t>(start.size())) {
    start.clear();
  }
  for (const auto& [key, tailer] : tailers_) {
    if (!tailer->is_open() || tailer->orphaned) continue;
    const uint64_t read_to = tailer->read_offset();
    const bool waits_for_it =
        waiting != waiting_copies_.end() && waiting->second.original_key == key;
    if (waits_for_it && (!head_matches(tailer->fd(), tailer->head()) ||
                         bytes_before(tailer->fd(), read_to) != tailer->tail())) {
      return CopyVerdict::kWaitForTruncation;  // being truncated as we look: wait for the verdict
    }
    // Thousands of followed files: rule most out from memory before reading any of them.
    if (!waits_for_it && !tailer->may_start_with(start)) continue;
    if (!same_start(fd, size, tailer->fd())) continue;
    std::optional<uint64_t> all_read;
    if (size <= read_to) {
      if (bytes_before(fd, size) == bytes_before(tailer->fd(), size)) {
        all_read = size;
      } else if (bytes_before(tailer->fd(), read_to) == tailer->tail()) {
        continue;  // the original is intact and differs: not a copy of it
      }            // else the original is being truncated as we look: wait for its verdict
    } else if (size > read_to && bytes_before(fd, read_to) != tailer->tail()) {
      continue;
    }
    // Either copytruncate's copy (maybe still being written), whose original is about to be
    // truncated, or a file that merely starts alike: only the truncation tells, so wait for
    // it, at most rotate_wait.
    if (waiting == waiting_copies_.end()) {
      waiting =
          waiting_copies_.emplace(path, WaitingCopy{key, now, now + config_.rotate_wait, {}}).first;
      if (size > 0) {
        spdlog::info(
            "input {}: {} starts like {}; waiting up to {} ms for that file's "
            "truncation to tell whether it is copytruncate's copy",
            context_.name, path, tailer->path(), config_.rotate_wait.count());
      }
    }
    waiting->second.original_key = key;
    waiting->second.all_read = all_read;
    return CopyVerdict::kWaitForTruncation;
  }
  return CopyVerdict::kNotACopy;
}

void FileInput::on_rewrite(const Tailer& original, Tailer::Rewrite rewrite) {
  const auto now = Clock::now();
  recent_rewrites_.push_back({original.key(), std::move(rewrite), now, now + config_.rotate_wait});
  rejudge_copies_of(original.key());
}

void FileInput::rejudge_copies_of(const std::string& original_key) {
  std::vector<std::string> paths;
  for (const auto& [path, waiting] : waiting_copies_) {
    if (waiting.original_key == original_key) paths.push_back(path);
  }
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      waiting_copies_.erase(path);
      continue;
    }
    if (!tailers_.contains(key_of(st))) follow(path, st, /*at_startup=*/false);
  }
}

void FileInput::follow(const std::string& path, const struct stat& st, bool at_startup) {
  const std::string key = key_of(st);
  const auto size = static_cast<uint64_t>(st.st_size);
  auto source = std::make_shared<SourceInfo>(SourceInfo{context_.name, context_.host, path});
  const auto checkpoint = known_.find(key);
  const bool has_checkpoint = checkpoint != known_.end();

  const bool too_old =
      !has_checkpoint && config_.ignore_older.count() > 0 &&
      std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec) >
          config_.ignore_older;
  // Opened even past max_open_files: the checkpoint and the copy checks need the content, and
  // the tailer takes the head it is recognised by later. The cap applies just below.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    counters_.read_errors->add();
    // Every scan tries again; say so once per file, not every few seconds.
    if (unopenable_.insert(path).second) {
      spdlog::warn("input {}: cannot open {}: {} (will keep trying; logged once)", context_.name,
                   path, std::strerror(errno));
    }
    return;
  }
  struct stat opened {};
  if (::fstat(fd.get(), &opened) != 0 || key_of(opened) != key) return;  // replaced meanwhile
  unopenable_.erase(path);

  uint64_t offset = 0;
  std::string reason = "new file";
  if (has_checkpoint) {
    Resume resume = resume_offset(fd.get(), size, checkpoint->second);
    offset = resume.offset;
    reason = std::move(resume.why);
  } else if (too_old) {
    offset = size;  // what is appended later is read
    reason = "ignore_older: not modified for longer";
  } else if (at_startup && config_.start_at == StartAt::kEnd) {
    offset = size;
    reason = "start_at = end";
  } else {
    switch (judge_copy(path, fd.get(), size, offset)) {
      case CopyVerdict::kNotACopy:
        break;
      case CopyVerdict::kCopy:
        reason = "a copy made by copytruncate: reading what its original had not shipped";
        break;
      case CopyVerdict::kWaitForTruncation:
        if (Clock::now() < waiting_copies_.at(path).until) return;
        reason = "new file (starts like another, which was not truncated within rotate_wait)";
        break;
    }
    waiting_copies_.erase(path);
  }
  if (has_checkpoint) {
    known_.erase(checkpoint);
    known_changed_ = true;
  }
  auto tailer = std::make_unique<Tailer>(key, std::move(source), std::move(fd), offset, config_,
                                         multiline_pattern_, commits_);
  if (too_old) {
    tailer->close();  // idle: it gets a descriptor when it grows
  } else if (open_.size() < config_.max_open_files) {
    took_descriptor(*tailer);
  } else {
    tailer->close();  // read once a descriptor frees up
    tailer->waited_for_descriptor = true;
  }
  tailers_[key] = std::move(tailer);
  key_by_path_[path] = key;
  if (!too_old) mark_ready(key);
  if (at_startup && (reason == "new file" || reason == "checkpoint")) {
    // Thousands of files at start-up: one summary line (run()), not one line each.
    ++(reason == "checkpoint" ? startup_resumed_ : startup_new_);
    return;
  }
  spdlog::info("input {}: following {} from offset {} ({})", context_.name, path, offset, reason);
}

void FileInput::scan(bool at_startup) {
  GlobMatches matches;
  matches.files.reserve(last_scan_matches_);  // thousands of entries: not copied as it grows
  for (const auto& pattern : config_.include) expand_glob(pattern, matches);
  last_scan_matches_ = matches.files.size();
  if (at_startup) {
    // Files are first followed, and logged, in the order of their paths.
    std::sort(matches.files.begin(), matches.files.end(),
              [](const MatchedFile& a, const MatchedFile& b) { return a.path < b.path; });
  }
  struct Found {
    const MatchedFile& file;
    std::string key;
    Tailer* tailer;  // followed already; otherwise looked up again after each new file
  };
  std::vector<Found> found;
  found.reserve(matches.files.size());
  ++scans_;
  for (const MatchedFile& file : matches.files) {
    if (excluded(file.path)) continue;
    std::string key = key_of(file.st);
    const auto it = tailers_.find(key);
    Tailer* tailer = it == tailers_.end() ? nullptr : it->second.get();
    if (tailer != nullptr) tailer->found_by_scan = scans_;
    found.push_back({file, std::move(key), tailer});
  }
  // Rotated files first: a file created by the rotation must not be judged against them.
  size_t orphaned = 0;  // after this scan: the files it did not find
  for (auto& [key, tailer] : tailers_) {
    if (tailer->found_by_scan == scans_) continue;
    ++orphaned;
    if (tailer->orphaned) continue;
    tailer->orphaned = true;
    forget_path(*tailer);
    if (!tailer->is_open()) {
      // Rotated while its descriptor was closed: follow it to where the rotation put it.
      if (auto moved = find_by_key(tailer->path(), key)) key_by_path_[*moved] = key;
    }
    mark_ready(key);
  }
  for (const auto& [file, key, followed] : found) {
    const std::string& path = file.path;
    if (file.link) {
      // Appends to a link's target are reported in the target's directory.
      if (auto target = real_path(path)) {
        matches.directories.insert(directory_of(*target));
        key_by_path_[*target] = key;
      }
    }
    Tailer* tailer = followed;
    if (tailer == nullptr) {  // two paths may name one new file (a link and its target)
      const auto it = tailers_.find(key);
      if (it == tailers_.end()) {
        follow(path, file.st, at_startup);
        continue;
      }
      tailer = it->second.get();
    }
    tailer->orphaned = false;
    // Assigned only when it changed: thousands of paths, every scan.
    if (const auto [entry, added] = key_by_path_.try_emplace(path, key); !added) {
      if (entry->second != key) entry->second = key;
    }
    // Reconciles what events may have missed; when polling, this is how appends are found.
    if (static_cast<uint64_t>(file.st.st_size) != tailer->read_offset()) mark_ready(key);
  }
  watcher_.watch(matches.directories);
  if (watcher_.polling() && !told_polling_ && config_.use_inotify) {
    told_polling_ = true;
    spdlog::warn("input {}: {}; finding appends by polling every {} ms instead", context_.name,
                 watcher_.why_polling(), config_.poll_interval.count());
  }
  followed_files_gauge_->set(tailers_.size());
  orphaned_files_ = orphaned;  // the files it followed just now are not
  rotated_files_gauge_->set(rotated_files());
}

void FileInput::count_orphaned_files() {
  orphaned_files_ = 0;
  for (const auto& [key, tailer] : tailers_) orphaned_files_ += tailer->orphaned ? 1U : 0U;
  rotated_files_gauge_->set(rotated_files());
}

void FileInput::finish_rotated_while_stopped() {
  for (auto it = known_.begin(); it != known_.end();) {
    const auto& [key, checkpoint] = *it;
    const auto moved = find_by_key(checkpoint.path, key);
    if (!moved || excluded(*moved)) {
      ++it;
      continue;
    }
    struct stat st {};
    UniqueFd fd(::open(moved->c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || key_of(st) != key) {
      ++it;
      continue;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    const Resume resume = resume_offset(fd.get(), size, checkpoint);
    const uint64_t offset = resume.offset;
    if (!resume.from_checkpoint || offset == size) {
      ++it;  // not the file we knew, or nothing left to read: keep it to tell it apart
      continue;
    }
    spdlog::info(
        "input {}: {} was renamed to {} while drover was stopped; finishing it from "
        "offset {}",
        context_.name, checkpoint.path, *moved, offset);
    auto source = std::make_shared<SourceInfo>(SourceInfo{context_.name, context_.host, *moved});
    auto tailer = std::make_unique<Tailer>(key, std::move(source), std::move(fd), offset, config_,
                                           multiline_pattern_, commits_);
    tailer->orphaned = true;
    took_descriptor(*tailer);
    key_by_path_[*moved] = key;
    tailers_[key] = std::move(tailer);
    mark_ready(key);
    it = known_.erase(it);
    known_changed_ = true;
  }
  count_orphaned_files();
}

void FileInput::took_descriptor(Tailer& tailer) {
  open_.insert(&tailer);
  counters_.files_opened->add();
}

void FileInput::give_back_descriptor(Tailer& tailer) {
  tailer.close();
  open_.erase(&tailer);
}

FileInput::Opened FileInput::ensure_open(Tailer& tailer) {
  if (tailer.is_open()) return Opened::kYes;
  if (open_.size() >= config_.max_open_files && !free_idle_descriptors()) {
    tailer.waited_for_descriptor = true;
    return Opened::kNoDescriptorFree;  // every open file has reading to do: wait a turn
  }
  // Its own path first; other names of the same file (hard links) only if that one is gone.
  std::vector<std::string> paths{tailer.path()};
  const auto other_paths = [&] {
    for (const auto& [path, key] : key_by_path_) {
      if (key == tailer.key() && path != tailer.path()) paths.push_back(path);
    }
  };
  for (size_t i = 0; i < paths.size(); ++i) {
    UniqueFd fd(::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || key_of(st) != tailer.key()) {
      if (i == 0) other_paths();
      continue;
    }
    if (!tailer.reopen(std::move(fd))) return Opened::kGone;  // the inode holds another file
    took_descriptor(tailer);
    return Opened::kYes;
  }
  return Opened::kGone;
}

bool FileInput::free_idle_descriptors() {
  // The files idle longest give back their descriptors, a sixteenth of the cap at a time: one
  // walk over thousands of files then serves many opens, not one.
  std::vector<Tailer*> idle;
  for (Tailer* other : open_) {
    if (other->orphaned || other->has_pending() || ready_set_.contains(other->key())) continue;
    idle.push_back(other);
  }
  if (idle.empty()) return false;
  const size_t count =
      std::min<size_t>(idle.size(), std::max<uint64_t>(1, config_.max_open_files / 16));
  std::nth_element(
      idle.begin(), idle.begin() + static_cast<ptrdiff_t>(count - 1), idle.end(),
      [](const Tailer* a, const Tailer* b) { return a->last_growth() < b->last_growth(); });
  for (size_t i = 0; i < count; ++i) give_back_descriptor(*idle[i]);
  return true;
}

bool FileInput::read_ready_files(BatchSink& out, std::stop_token stop, Clock::time_point now) {
  const TailContext context = tail_context();
  const size_t turns = ready_.size();
  for (size_t i = 0; i < turns && !stop.stop_requested(); ++i) {
    const std::string key = std::move(ready_.front());
    ready_.pop_front();
    ready_set_.erase(key);
    auto it = tailers_.find(key);
    if (it == tailers_.end()) continue;
    Tailer& tailer = *it->second;
    switch (ensure_open(tailer)) {
      case Opened::kYes:
        break;
      case Opened::kNoDescriptorFree:
        mark_ready(key);
        continue;
      case Opened::kGone:
        if (tailer.waited_for_descriptor) {
          spdlog::warn(
              "input {}: {} disappeared while waiting for a descriptor "
              "(max_open_files = {}); what it had past offset {} is lost",
              context_.name, tailer.path(), config_.max_open_files, tailer.read_offset());
        } else {
          spdlog::info("input {}: {} is gone; stopped following it", context_.name, tailer.path());
        }
        known_[key] = tailer.checkpoint(unix_ms_now());
        known_changed_ = true;
        forget_path(tailer);
        give_back_descriptor(tailer);  // holds none; never leave a pointer to a freed file
        if (tailer.orphaned) --orphaned_files_;
        tailers_.erase(it);
        continue;
    }
    const Tailer::Turn turn = tailer.read(context, out, stop);
    active_.insert(key);
    if (auto rewrite = tailer.take_rewrite()) {
      on_rewrite(tailer, std::move(*rewrite));
    } else if (!waiting_copies_.empty()) {
      rejudge_copies_of(key);  // read past a waiting copy's end: now it can be compared
    }
    switch (turn) {
      case Tailer::Turn::kStopped:
        return false;
      case Tailer::Turn::kMore:
        mark_ready(key);  // behind every other ready file: no file starves the others
        break;
      case Tailer::Turn::kCaughtUp:
        if (tailer.orphaned && now - tailer.last_growth() >= config_.rotate_wait) {
          // Rotated or deleted, and its writer has moved on: its last line will not be
          // finished.
          if (!tailer.flush_pending(context, out, stop)) return false;
          retire(it);
        }
        break;
    }
  }
  return true;
}

void FileInput::retire(Tailers::iterator it) {
  Tailer& tailer = *it->second;
  spdlog::info("input {}: closing {}: it was rotated or deleted and is read to its end",
               context_.name, tailer.path());
  give_back_descriptor(tailer);
  files_finished_->add();
  forget_path(tailer);
  if (tailer.orphaned) --orphaned_files_;  // a walk per rotated file would cost thousands
  closing_.push_back(std::move(it->second));
  tailers_.erase(it);
}

void FileInput::settle_retired_files() {
  const int64_t now = unix_ms_now();
  std::erase_if(closing_, [&](const std::unique_ptr<Tailer>& tailer) {
    if (!tailer->settled()) return false;
    // Kept, so that finding it again under a name `include` matches does not re-send it.
    if (!tailers_.contains(tailer->key())) {
      known_[tailer->key()] = tailer->checkpoint(now);
      known_changed_ = true;
    }
    return true;
  });
}

bool FileInput::flush_stale_records(BatchSink& out, std::stop_token stop, Clock::time_point now) {
  const TailContext context = tail_context();
  for (const auto& key : active_) {  // a file not read since it was quiet has nothing pending
    const auto it = tailers_.find(key);
    if (it == tailers_.end()) continue;
    Tailer& tailer = *it->second;
    if (tailer.has_pending() && !tailer.flush_stale(context, out, stop, now)) return false;
  }
  return true;
}

void FileInput::forget_quiet_files() {
  std::erase_if(active_, [&](const std::string& key) {
    const auto it = tailers_.find(key);
    return it == tailers_.end() || it->second->quiet();
  });
}

void FileInput::close_idle_files(Clock::time_point now) {
  // Only the files holding a descriptor: at most max_open_files, not the thousands followed.
  for (auto it = open_.begin(); it != open_.end();) {
    Tailer& tailer = **it;
    if (tailer.orphaned || tailer.has_pending() ||
        now - tailer.last_growth() < config_.close_idle_after ||
        ready_set_.contains(tailer.key())) {
      ++it;
      continue;
    }
    tailer.close();
    it = open_.erase(it);
    files_closed_idle_->add();
  }
}

Checkpoints FileInput::snapshot() {
  const int64_t now = unix_ms_now();
  Checkpoints checkpoints = known_;
  for (const auto& [key, tailer] : tailers_) checkpoints[key] = tailer->checkpoint(now);
  for (const auto& tailer : closing_) {
    if (!tailers_.contains(tailer->key())) checkpoints[tailer->key()] = tailer->checkpoint(now);
  }
  return checkpoints;
}

void FileInput::save_if_changed(bool force) {
  const int64_t now = unix_ms_now();
  const int64_t forget_before =
      now -
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.checkpoint_retention).count();
  if (std::erase_if(known_, [&](const auto& entry) {
        return entry.second.seen_unix_ms < forget_before;
      }) != 0) {
    known_changed_ = true;
  }
  // Thousands of idle files: nothing to do unless a position moved or a file came or went.
  const std::array<uint64_t, 4> signature{tailers_.size(), known_.size(), closing_.size(),
                                          commits_->load(std::memory_order_relaxed)};
  const bool files_changed =
      known_changed_ || save_failed_ || force ||
      !std::equal(signature.begin(), signature.begin() + 3, last_signature_.begin());
  if (!files_changed && signature == last_signature_) return;
  last_signature_ = signature;
  known_changed_ = false;

  Checkpoints changed;
  std::vector<std::string> forgotten;
  const auto moved = [](const Checkpoint& a, const Checkpoint& b) {
    // `seen` alone moving is not worth a write; it is saved with the next real change.
    return a.offset != b.offset || a.path != b.path || a.head_hash != b.head_hash ||
           a.head_bytes != b.head_bytes || a.tail_hash != b.tail_hash;
  };
  if (files_changed) {
    // Files came or went: compare every entry (rare). The active files mark what they report
    // first: an ack landing between the two then makes them report again, never not at all.
    for (const auto& key : active_) {
      if (const auto it = tailers_.find(key); it != tailers_.end()) {
        (void)it->second->checkpoint_if_moved(now);
      }
    }
    const Checkpoints current = snapshot();
    for (const auto& [key, checkpoint] : current) {
      const auto saved = last_saved_.find(key);
      if (saved == last_saved_.end() || moved(saved->second, checkpoint)) {
        changed.emplace(key, checkpoint);
      }
    }
    for (const auto& [key, checkpoint] : last_saved_) {
      if (!current.contains(key)) forgotten.push_back(key);
    }
  } else {
    // Only positions moved: ask each followed file, without building the table.
    const auto collect = [&](Tailer& tailer) {
      if (auto checkpoint = tailer.checkpoint_if_moved(now)) {
        const auto saved = last_saved_.find(tailer.key());
        if (saved == last_saved_.end() || moved(saved->second, *checkpoint)) {
          changed.emplace(tailer.key(), std::move(*checkpoint));
        }
      }
    };
    for (const auto& key : active_) {
      if (const auto it = tailers_.find(key); it != tailers_.end()) collect(*it->second);
    }
    for (const auto& tailer : closing_) {
      if (!tailers_.contains(tailer->key())) collect(*tailer);
    }
  }
  if (changed.empty() && forgotten.empty()) return;
  for (const auto& key : forgotten) last_saved_.erase(key);
  for (const auto& [key, checkpoint] : changed) last_saved_[key] = checkpoint;
  if (Status status = store_.save_changes(changed, forgotten, last_saved_); !status) {
    // Unknown what reached the disk: the next save compares against nothing, so it writes
    // every entry (as a whole new snapshot).
    last_saved_.clear();
    save_failed_ = true;
    checkpoint_errors_->add();
    if (auto suppressed = checkpoint_error_log_.allow()) {
      spdlog::error("input {}: cannot save checkpoints: {}{}", context_.name,
                    status.error().message,
                    *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
    }
    return;
  }
  save_failed_ = false;
}

void FileInput::absorb(const DirectoryWatcher::Events& events) {
  scan_soon_ = scan_soon_ || events.entries_changed;
  for (const auto& path : events.changed_files) {
    if (auto key = key_by_path_.find(path); key != key_by_path_.end()) mark_ready(key->second);
  }
}

Status FileInput::run(BatchSink& out, std::stop_token stop) {
  std::stop_callback wake_on_stop(stop, [this] { watcher_.wake(); });
  load_checkpoints();
  scan(/*at_startup=*/true);
  finish_rotated_while_stopped();
  if (startup_resumed_ + startup_new_ != 0) {
    const size_t files = startup_resumed_ + startup_new_;
    spdlog::info("input {}: following {} file{}: {} from their checkpoints, {} from offset 0",
                 context_.name, files, files == 1 ? "" : "s", startup_resumed_, startup_new_);
  }
  if (tailers_.empty()) {
    spdlog::warn("input {}: no file matches {} yet; watching for one", context_.name,
                 fmt::join(config_.include, ", "));
  }
  const auto start = Clock::now();
  auto next_scan = start + config_.rescan_interval;
  auto next_poll = start + config_.poll_interval;
  auto next_housekeeping = start + config_.checkpoint_interval;
  auto last_event_scan = start;
  while (!stop.stop_requested()) {
    if (!read_ready_files(out, stop, Clock::now())) return Status::ok();

    auto now = Clock::now();
    if (now >= next_scan || (scan_soon_ && now - last_event_scan >= kEventScanGap)) {
      scan(/*at_startup=*/false);
      scan_soon_ = false;
      last_event_scan = now;
      next_scan = now + config_.rescan_interval;
    }
    // Rotated files are polled until they retire: events name them by paths we may not know.
    const bool polling = watcher_.polling() || rotated_files() != 0;
    if (polling && now >= next_poll) {
      for (const auto& [key, tailer] : tailers_) {
        if (tailer->orphaned || (watcher_.polling() && tailer->is_open())) mark_ready(key);
      }
      next_poll = now + config_.poll_interval;
    }
    if (!waiting_copies_.empty()) {
      // A file that waited rotate_wait for a truncation that did not come is read whole.
      std::set<std::string> expired;
      for (const auto& [path, waiting] : waiting_copies_) {
        if (waiting.until <= now) expired.insert(waiting.original_key);
      }
      for (const auto& key : expired) rejudge_copies_of(key);
    }
    if (now >= next_housekeeping) {
      // Once a second at most: each of these looks at every followed file.
      if (!flush_stale_records(out, stop, now)) return Status::ok();
      close_idle_files(now);
      settle_retired_files();
      open_files_gauge_->set(open_.size());
      rotated_files_gauge_->set(rotated_files());
      save_if_changed();
      forget_quiet_files();
      next_housekeeping = now + config_.checkpoint_interval;
    }
    if (!ready_.empty()) {
      absorb(watcher_.wait(std::chrono::milliseconds(0)));  // events may name other files
      continue;
    }
    auto wake_at = std::min(next_scan, next_housekeeping);
    for (const auto& [path, waiting] : waiting_copies_) wake_at = std::min(wake_at, waiting.until);
    if (polling) wake_at = std::min(wake_at, next_poll);
    if (scan_soon_) wake_at = std::min(wake_at, last_event_scan + kEventScanGap);
    const auto timeout = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now());
    DirectoryWatcher::Events events =
        watcher_.wait(std::max(timeout, std::chrono::milliseconds(0)));
    const bool woken_by_appends = !events.changed_files.empty();
    absorb(events);
    if (woken_by_appends && !stop.stop_requested()) {
      // Writers append to many files at once (a request logged by several services, every
      // file at a flush): waking for each append costs this thread, the output's and the
      // Kafka client's a wake-up per line. A moment's wait reads them all in one turn.
      std::this_thread::sleep_for(kGatherAppends);
      absorb(watcher_.wait(std::chrono::milliseconds(0)));
    }
  }
  return Status::ok();
}

Status FileInput::save_positions() {
  save_if_changed(/*force=*/true);
  return Status::ok();
}

}  // namespace drover::inputs
