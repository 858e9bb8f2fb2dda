#include "agent/metrics.h"

#include <fmt/format.h>

namespace drover {

std::string Metrics::key(const std::string& name, const Labels& labels) {
  std::string out = name;
  if (labels.empty()) return out;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format("{}=\"{}\"", labels[i].first, labels[i].second);
  }
  out += '}';
  return out;
}

Counter& Metrics::counter(const std::string& name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[key(name, labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

uint64_t Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(key(name, labels));
  return it == counters_.end() ? 0 : it->second->value();
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, counter] : counters_) {
    out += fmt::format("{} {}\n", name, counter->value());
  }
  return out;
}

}  // namespace drover
