// Long start-up work a person waits for (recovering a large disk queue, opening thousands of
// files): each task logs its progress — count, percentage, rate — at most every few seconds,
// and while any task runs /readyz says not ready and why, and /status shows it. Tasks run on
// the main thread (queues) or an input's thread (files); readers are the admin thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace drover {

class StartupProgress {
 public:
  class Task;
  /// How often a task logs its progress.
  static constexpr std::chrono::milliseconds kLogEvery{5000};

  explicit StartupProgress(std::chrono::milliseconds log_every = kLogEvery)
      : log_every_(log_every) {}

  /// Starts a task: "recovering the disk queue of output kafka", counted in `unit`
  /// ("MiB", "files"). `total` may be 0 while it is not known.
  Task begin(std::string what, std::string unit, uint64_t total = 0);

  /// One line per running task ("recovering ...: 512 of 2048 MiB (25%), 310 MiB/s"); empty
  /// once start-up work is done.
  std::vector<std::string> running() const;
  /// Waits until no task runs, or until `deadline`; true if none does.
  bool wait_done(std::chrono::steady_clock::time_point deadline) const;

  /// Also called with each progress line logged (systemd's STATUS= while starting); set before
  /// any task begins.
  void on_line(std::function<void(const std::string&)> hook) { hook_ = std::move(hook); }

 private:
  struct State {
    std::string what;
    std::string unit;
    uint64_t total = 0;
    uint64_t done = 0;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point next_log;
  };
  static std::string line(const State& state, std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds log_every_;
  mutable std::mutex mutex_;
  mutable std::condition_variable done_cv_;
  std::list<State> tasks_;  // nodes never move: a Task points to its own
  std::function<void(const std::string&)> hook_;

 public:
  /// Ends the task (logging how long it took, if it ever logged progress) when destroyed.
  class Task {
   public:
    Task(StartupProgress* owner, std::list<State>::iterator state) : owner_(owner), state_(state) {}
    Task(Task&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), state_(other.state_) {}
    Task& operator=(Task&&) = delete;
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task();

    void set_total(uint64_t total);
    /// `done` so far, in the task's unit; logs if kLogEvery has passed since the last line.
    void update(uint64_t done);

   private:
    StartupProgress* owner_;
    std::list<State>::iterator state_;
  };
};

}  // namespace drover
