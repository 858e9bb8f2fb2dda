// What /healthz reports: problems components raise and clear while they run (a failed thread,
// a topic Kafka refuses). Thread-safe; raised and cleared on state changes only, never per record.
#pragma once

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <string>

namespace drover {

class Health {
 public:
  /// Sets (or replaces) the problem `key` of `component`, e.g. ("output kafka", "topic logs").
  void raise(const std::string& component, const std::string& key, const std::string& text) {
    std::lock_guard lock(mutex_);
    problems_[component + ": " + key] = text;
  }
  void clear(const std::string& component, const std::string& key) {
    std::lock_guard lock(mutex_);
    problems_.erase(component + ": " + key);
  }
  /// Clears every problem of `component` (it was replaced or removed).
  void clear_component(const std::string& component) {
    std::lock_guard lock(mutex_);
    const std::string prefix = component + ": ";
    std::erase_if(problems_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
  }
  /// One line per problem; empty when healthy.
  std::string render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [where, text] : problems_) out += fmt::format("{}: {}\n", where, text);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> problems_;
};

}  // namespace drover
