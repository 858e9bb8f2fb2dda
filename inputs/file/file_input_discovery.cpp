// FileInput, finding files: globs matched by scans, new files followed (from a checkpoint that
// still fits, or from the start), rotated ones found by inode, copytruncate copies told apart.
#include "inputs/file/file_input.h"
#include "inputs/file/file_key.h"
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

void FileInput::forget_path(const Tailer& tailer) {
  std::erase_if(key_by_path_, [&](const auto& entry) { return entry.second == tailer.key(); });
}

FileInput::CopyVerdict FileInput::judge_copy(const std::string& path, int fd, uint64_t size,
                                             uint64_t& offset,
                                             std::shared_ptr<PositionTracker>& positions) {
  const auto now = Clock::now();
  std::erase_if(recent_rewrites_, [&](const RecentRewrite& recent) { return recent.until < now; });
  auto waiting = waiting_copies_.find(path);
  for (RecentRewrite& recent : recent_rewrites_) {
    Tailer::Rewrite& old = recent.rewrite;
    const bool waited_for_this = waiting != waiting_copies_.end() &&
                                 waiting->second.original_key == recent.original_key &&
                                 recent.at >= waiting->second.since;
    // What was read from the original is shipped, but maybe not acknowledged yet: the copy
    // holds it now, and its checkpoint must wait for those acks (taken once: one copy).
    if (waited_for_this && waiting->second.all_read == size) {
      offset = size;  // unchanged since it was found to hold only what had been read
      positions = std::move(old.positions);
      return CopyVerdict::kCopy;
    }
    if (old.old_head.length == 0 || !head_matches(fd, old.old_head)) continue;
    if (waited_for_this && size <= old.old_offset) {
      offset = size;  // all of it was read from the original before the truncation
      positions = std::move(old.positions);
      return CopyVerdict::kCopy;
    }
    // The copy holds the old content up to where drover had read it, and maybe more.
    if (size >= old.old_offset && bytes_before(fd, old.old_offset) == old.old_tail) {
      offset = old.old_offset;
      positions = std::move(old.positions);
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
  if (fd.get() < 0 && out_of_descriptors(errno)) {
    // Not this file's fault: said once for all of them; a later scan follows it.
    descriptors_exhausted_->add();
    free_idle_descriptors();
    if (auto suppressed = descriptors_log_.allow()) {
      spdlog::warn(
          "input {}: out of file descriptors ({}; ulimit -n is {}): new files such as "
          "{} are followed once descriptors free up{}",
          context_.name, std::strerror(errno), open_file_limit(), path,
          *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
    return;
  }
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
  std::shared_ptr<PositionTracker> copied_positions;  // a copy's: its original's acks
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
    switch (judge_copy(path, fd.get(), size, offset, copied_positions)) {
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
  if (copied_positions) tailer->adopt_positions(std::move(copied_positions));
  if (too_old) {
    tailer->close();  // idle: it gets a descriptor when it grows
  } else if (open_.size() < max_open_files_) {
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
  if (matches.unlisted_error != 0) {
    // Not finding a file then proves nothing: no followed file is taken for rotated or gone.
    if (out_of_descriptors(matches.unlisted_error)) descriptors_exhausted_->add();
    if (auto suppressed = descriptors_log_.allow()) {
      spdlog::warn(
          "input {}: cannot list {}: {}; files not found there still count as followed "
          "until a scan can list it{}",
          context_.name, matches.unlisted_directory, std::strerror(matches.unlisted_error),
          *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
  }
  // Rotated files first: a file created by the rotation must not be judged against them.
  size_t orphaned = 0;  // after this scan: the files it did not find
  for (auto& [key, tailer] : tailers_) {
    if (tailer->found_by_scan == scans_) continue;
    if (matches.unlisted_error != 0) {
      orphaned += tailer->orphaned ? 1U : 0U;  // as it was
      continue;
    }
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
  if (at_startup && startup_task_) startup_task_->set_total(found.size());
  size_t handled = 0;
  for (const auto& [file, key, followed] : found) {
    if (at_startup && startup_task_) startup_task_->update(handled++);
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

}  // namespace drover::inputs
