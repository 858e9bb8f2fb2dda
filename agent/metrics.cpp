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

std::map<std::string, uint64_t> Metrics::by_label(const std::string& name, const Label& has,
                                                  const std::string& by) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, uint64_t> out;
  const std::string wanted = fmt::format("{}=\"{}\"", has.first, has.second);
  const std::string by_prefix = by + "=\"";
  for (auto it = counters_.lower_bound(name + '{'); it != counters_.end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(name + '{')) break;
    if (key.find(wanted) == std::string::npos) continue;
    const size_t at = key.find(by_prefix);
    if (at == std::string::npos) continue;
    const size_t start = at + by_prefix.size();
    out[key.substr(start, key.find('"', start) - start)] += it->second->value();
  }
  return out;
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
