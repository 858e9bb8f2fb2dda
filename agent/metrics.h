// Counters and gauges every component registers at build time and bumps with relaxed
// atomics on the hot path. Rendered in Prometheus text format (the admin server's /metrics)
// and summarised in the log at stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace drover {

class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  /// Returns the counter for this name and label set, creating it; the reference stays valid
  /// for the registry's lifetime. Call at build time, not per record.
  Counter& counter(const std::string& name, const Labels& labels);

  /// name{label="value",...} value, one per line, sorted.
  std::string render() const;
  uint64_t value(const std::string& name, const Labels& labels) const;
  using Label = std::pair<std::string, std::string>;
  /// The series of `name` that carry label `has`, summed by the value of label `by`, e.g.
  /// drops of input "app" by reason: {"queue_full": 3, "stopping": 0}.
  std::map<std::string, uint64_t> by_label(const std::string& name, const Label& has,
                                           const std::string& by) const;

 private:
  static std::string key(const std::string& name, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Counter>> counters_;
};

}  // namespace drover
