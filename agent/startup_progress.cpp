#include "agent/startup_progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace drover {

using Clock = std::chrono::steady_clock;

std::string StartupProgress::line(const State& state, Clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - state.started).count();
  const double rate = seconds > 0 ? static_cast<double>(state.done) / seconds : 0;
  if (state.total == 0) {
    return fmt::format("{}: {} {}, {:.0f} {}/s", state.what, state.done, state.unit, rate,
                       state.unit);
  }
  const double percent = 100.0 * static_cast<double>(state.done) / static_cast<double>(state.total);
  return fmt::format("{}: {} of {} {} ({:.0f}%), {:.0f} {}/s", state.what, state.done, state.total,
                     state.unit, percent, rate, state.unit);
}

StartupProgress::Task StartupProgress::begin(std::string what, std::string unit, uint64_t total) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  tasks_.push_back({std::move(what), std::move(unit), total, 0, now, now + log_every_});
  return Task(this, std::prev(tasks_.end()));
}

std::vector<std::string> StartupProgress::running() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  const auto now = Clock::now();
  for (const auto& state : tasks_) out.push_back(line(state, now));
  return out;
}

bool StartupProgress::wait_done(Clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return done_cv_.wait_until(lock, deadline, [&] { return tasks_.empty(); });
}

void StartupProgress::Task::set_total(uint64_t total) {
  std::lock_guard lock(owner_->mutex_);
  state_->total = total;
}

void StartupProgress::Task::update(uint64_t done) {
  std::string message;
  {
    std::lock_guard lock(owner_->mutex_);
    state_->done = done;
    const auto now = Clock::now();
    if (now < state_->next_log) return;
    state_->next_log = now + owner_->log_every_;
    message = line(*state_, now);
  }
  spdlog::info("{}", message);
  if (owner_->hook_) owner_->hook_(message);
}

StartupProgress::Task::~Task() {
  if (owner_ == nullptr) return;
  std::string message;
  {
    std::lock_guard lock(owner_->mutex_);
    const auto now = Clock::now();
    // Only a task long enough to have logged progress says it is done.
    if (now - state_->started >= owner_->log_every_) {
      message = fmt::format("{}: done, {} {} in {:.1f} s", state_->what, state_->done, state_->unit,
                            std::chrono::duration<double>(now - state_->started).count());
    }
    owner_->tasks_.erase(state_);
  }
  owner_->done_cv_.notify_all();
  if (!message.empty()) spdlog::info("{}", message);
}

}  // namespace drover
