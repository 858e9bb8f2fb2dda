// FileInput, positions: checkpoints loaded at start and saved (as changes to a journal) once a
// position moved or a file came or went.
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

}  // namespace drover::inputs
