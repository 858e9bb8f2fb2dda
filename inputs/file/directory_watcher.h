// Tells the file input which files changed, so an idle file costs no system call: one inotify
// watch per directory reports appends, truncations, creations, renames and deletions of the
// files in it. When inotify is unavailable or its watch limit is reached, `polling()` turns true
// and the caller checks every file on a timer instead. Used by the input thread; wake() may be
// called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace drover::inputs {

class DirectoryWatcher {
 public:
  /// `use_inotify` false forces polling (tests, file systems where inotify says nothing).
  explicit DirectoryWatcher(bool use_inotify);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  /// True once events cannot be trusted to cover every file; the reason is in why_polling().
  bool polling() const { return polling_; }
  const std::string& why_polling() const { return why_polling_; }

  /// Watches each directory not watched yet. A refused watch (limit reached) switches to
  /// polling; a directory that does not exist is skipped (the next scan tries again).
  void watch(const std::set<std::string>& directories);

  struct Events {
    std::set<std::string> changed_files;  // full paths whose content or metadata changed
    bool entries_changed = false;         // a file appeared, moved or vanished: scan again
  };
  /// Waits up to `timeout` for something to report or for wake(); returns what happened.
  Events wait(std::chrono::milliseconds timeout);
  void wake();

 private:
  void read_events(Events& events);
  void switch_to_polling(std::string why);

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd
  bool polling_ = false;
  std::string why_polling_;
  std::map<int, std::string> directory_of_watch_;
  std::set<std::string> watched_;
};

}  // namespace drover::inputs
