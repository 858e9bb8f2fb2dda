// What /healthz reports: problems components raise and clear while they run (a failed thread,
// a topic Kafka refuses); and, for /status, each component's last error. Thread-safe; raised,
// cleared and noted on state changes and logged errors only, never per record.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
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
  /// The component's last error, as logged (rate-limited lines only): what /status shows.
  void note_error(const std::string& component, const std::string& text) {
    std::lock_guard lock(mutex_);
    last_errors_[component] = {std::chrono::system_clock::now(), text};
  }
  struct NotedError {
    std::chrono::system_clock::time_point at;
    std::string text;
  };
  std::optional<NotedError> last_error(const std::string& component) const {
    std::lock_guard lock(mutex_);
    auto it = last_errors_.find(component);
    if (it == last_errors_.end()) return std::nullopt;
    return it->second;
  }
  /// The problems of one component, by key ("topic logs" → why).
  std::map<std::string, std::string> problems_of(const std::string& component) const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> out;
    const std::string prefix = component + ": ";
    for (const auto& [where, text] : problems_) {
      if (where.starts_with(prefix)) out.emplace(where.substr(prefix.size()), text);
    }
    return out;
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
  std::map<std::string, NotedError> last_errors_;
};

}  // namespace drover
