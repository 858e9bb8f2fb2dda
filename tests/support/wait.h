// Waiting on a condition with a deadline: the only way tests synchronise with drover.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace drover::testing {

/// Re-checks `condition` every few milliseconds until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace drover::testing
