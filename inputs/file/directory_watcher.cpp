#include "inputs/file/directory_watcher.h"

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr uint32_t kEntryEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
constexpr uint32_t kFileEvents = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE;

}  // namespace

DirectoryWatcher::DirectoryWatcher(bool use_inotify) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!use_inotify) {
    switch_to_polling("inotify is turned off (use_inotify = false)");
    return;
  }
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) switch_to_polling(fmt::format("inotify_init1: {}", std::strerror(errno)));
}

DirectoryWatcher::~DirectoryWatcher() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void DirectoryWatcher::switch_to_polling(std::string why) {
  polling_ = true;
  why_polling_ = std::move(why);
}

void DirectoryWatcher::watch(const std::set<std::string>& directories) {
  if (polling_) return;
  for (const auto& directory : directories) {
    if (watched_.contains(directory)) continue;
    const int wd = ::inotify_add_watch(
        inotify_fd_, directory.c_str(),
        kEntryEvents | kFileEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    if (wd >= 0) {
      directory_of_watch_[wd] = directory;
      watched_.insert(directory);
    } else if (errno == ENOSPC || errno == ENOMEM) {
      switch_to_polling(fmt::format("cannot watch {}: {} (raise fs.inotify.max_user_watches)",
                                    directory, std::strerror(errno)));
      return;
    }
  }
}

DirectoryWatcher::Events DirectoryWatcher::wait(std::chrono::milliseconds timeout) {
  Events events;
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
  const nfds_t count = inotify_fd_ >= 0 && !polling_ ? 2 : 1;
  const int ready = ::poll(fds, count, static_cast<int>(timeout.count()));
  if (ready <= 0) return events;
  if ((fds[0].revents & POLLIN) != 0) {
    uint64_t value = 0;
    (void)::read(wake_fd_, &value, sizeof value);
  }
  if (count == 2 && (fds[1].revents & POLLIN) != 0) read_events(events);
  return events;
}

void DirectoryWatcher::read_events(Events& events) {
  alignas(inotify_event) char buffer[64 << 10];
  for (;;) {
    const ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) return;  // EAGAIN: drained
    // Room left for the longest event: the queue was drained, no need to ask again.
    const bool drained =
        static_cast<size_t>(n) + sizeof(inotify_event) + NAME_MAX + 1 <= sizeof buffer;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        events.entries_changed = true;  // some events were lost: a full scan finds them
        continue;
      }
      auto directory = directory_of_watch_.find(event->wd);
      if (directory == directory_of_watch_.end()) continue;
      if ((event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        events.entries_changed = true;
        // A moved directory would report under its old name: drop it; a scan watches it anew.
        if ((event->mask & IN_MOVE_SELF) != 0) ::inotify_rm_watch(inotify_fd_, event->wd);
        if ((event->mask & (IN_IGNORED | IN_MOVE_SELF)) != 0) {
          watched_.erase(directory->second);
          directory_of_watch_.erase(directory);
        }
        continue;
      }
      if ((event->mask & kEntryEvents) != 0) events.entries_changed = true;
      if (event->len > 0) {
        std::string path = directory->second;
        if (path.back() != '/') path += '/';
        path += event->name;  // NUL-padded
        events.changed_files.insert(std::move(path));
      }
    }
    if (drained) return;
  }
}

void DirectoryWatcher::wake() {
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

}  // namespace drover::inputs
