#include "inputs/host_metrics/host_metrics_config.h"

#include <fmt/format.h>

#include <algorithm>

namespace drover::inputs {

std::set<std::string> default_collectors() {
  std::set<std::string> names(std::begin(kCollectors), std::end(kCollectors));
  for (const char* opt_in : kOptInCollectors) names.erase(opt_in);
  return names;
}

HostMetricsConfig parse_host_metrics_config(config::TomlReader& reader) {
  HostMetricsConfig config;
  config.interval = reader.duration("interval", config.interval);
  if (config.interval < std::chrono::milliseconds(100)) {
    reader.error("interval", "must be at least 100ms");
  }
  const std::set<std::string> defaults = default_collectors();
  const auto collectors =
      reader.string_list("collectors", std::vector<std::string>(defaults.begin(), defaults.end()));
  config.collectors.clear();
  for (const auto& name : collectors) {
    if (std::find(std::begin(kCollectors), std::end(kCollectors), name) == std::end(kCollectors)) {
      reader.error("collectors",
                   fmt::format("'{}' is not one of: {}", name,
                               fmt::join(std::begin(kCollectors), std::end(kCollectors), ", ")));
    }
    config.collectors.insert(name);
  }
  if (config.collectors.empty()) reader.error("collectors", "name at least one collector");
  config.interfaces_exclude = reader.string_list("interfaces_exclude", config.interfaces_exclude);
  config.filesystems = reader.string_list("filesystems", {});
  for (const auto& path : config.filesystems) {
    if (path.empty() || path.front() != '/') {
      reader.error("filesystems", "lists mount points, absolute paths ('" + path + "' is not)");
    }
  }
  config.max_pending_samples = static_cast<uint64_t>(reader.integer(
      "max_pending_samples", static_cast<int64_t>(config.max_pending_samples), 1, 100000));
  config.proc_dir = reader.string("proc_dir", config.proc_dir);
  if (config.proc_dir.empty() || config.proc_dir.front() != '/') {
    reader.error("proc_dir", "must be an absolute path");
  }
  config.top_processes = static_cast<uint64_t>(
      reader.integer("top_processes", static_cast<int64_t>(config.top_processes), 1, 100));
  config.sys_dir = reader.string("sys_dir", config.sys_dir);
  if (config.sys_dir.empty() || config.sys_dir.front() != '/') {
    reader.error("sys_dir", "must be an absolute path");
  }
  config.root_dir = reader.string("root_dir", config.root_dir);
  if (config.root_dir.empty() || config.root_dir.front() != '/') {
    reader.error("root_dir", "must be an absolute path");
  }
  if (reader.one_of("schema", "drover", {"drover", "otel"}) == "otel") {
    config.schema = MetricsSchema::kOtel;
  }
  return config;
}

}  // namespace drover::inputs
