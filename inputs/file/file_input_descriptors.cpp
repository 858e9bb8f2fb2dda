// FileInput, descriptors and retirement: at most max_open_files open, idle ones closed first;
// rotated and deleted files read to their end leave once their acks are in.
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
  if (open_.size() >= max_open_files_ && !free_idle_descriptors()) {
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
    if (fd.get() < 0 && out_of_descriptors(errno)) {
      starve(tailer.key(), errno);  // the file is there: it must not count as gone
      return Opened::kOutOfDescriptors;
    }
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

void FileInput::starve(const std::string& key, int error) {
  descriptors_exhausted_->add();
  starved_.insert(key);
  free_idle_descriptors();
  if (auto suppressed = descriptors_log_.allow()) {
    spdlog::warn(
        "input {}: out of file descriptors ({}; ulimit -n is {}, {} held by this input): {} "
        "file(s) wait and are read as descriptors free up; raise LimitNOFILE or lower "
        "max_open_files{}",
        context_.name, std::strerror(error), open_file_limit(), open_.size(), starved_.size(),
        *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
  }
}

void FileInput::retry_starved() {
  for (const auto& key : starved_) mark_ready(key);
  starved_.clear();
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
  const size_t count = std::min<size_t>(idle.size(), std::max<uint64_t>(1, max_open_files_ / 16));
  std::nth_element(
      idle.begin(), idle.begin() + static_cast<ptrdiff_t>(count - 1), idle.end(),
      [](const Tailer* a, const Tailer* b) { return a->last_growth() < b->last_growth(); });
  for (size_t i = 0; i < count; ++i) give_back_descriptor(*idle[i]);
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

}  // namespace drover::inputs
