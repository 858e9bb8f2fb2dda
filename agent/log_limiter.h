// Lets a repeated log line through at most once per interval and counts what it held back,
// so an operator sees "... (37 more like this in the last 10s)" instead of a flood.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace drover {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(10))
      : interval_(interval) {}

  /// When the line may be logged now: how many were suppressed since the last one.
  std::optional<uint64_t> allow(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    if (logged_once_ && now < next_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_once_ = true;
    next_ = now + interval_;
    const uint64_t suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
  }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_{};
  uint64_t suppressed_ = 0;
  bool logged_once_ = false;
};

}  // namespace drover
