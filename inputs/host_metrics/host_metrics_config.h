// Settings of one `type = "host_metrics"` input, parsed without reading /proc.
#pragma once

#include "config/toml_reader.h"

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace drover::inputs {

/// Every collector; all but the opt-in ones (kOptInCollectors) run by default.
inline constexpr const char* kCollectors[] = {
    "cpu",       "memory",   "load", "network", "disk",         "filesystem",
    "processes", "pressure", "tcp",  "host",    "cpu_per_core", "top_processes"};
inline constexpr const char* kOptInCollectors[] = {"cpu_per_core", "top_processes"};

std::set<std::string> default_collectors();

/// How readings become records: drover's one record per reading, or OpenTelemetry's system.*
/// metrics, one record per data point (otel_points.h).
enum class MetricsSchema { kDrover, kOtel };

struct HostMetricsConfig {
  std::chrono::milliseconds interval{10000};
  std::set<std::string> collectors = default_collectors();
  std::vector<std::string> interfaces_exclude{"lo"};
  std::vector<std::string> filesystems;  // mount points; empty: every local disk filesystem
  // Samples kept while the queues have no room; beyond, the oldest is dropped (counted).
  uint64_t max_pending_samples = 60;
  std::string proc_dir = "/proc";  // the host's /proc mounted elsewhere (a container)
  uint64_t top_processes = 5;      // with the top_processes collector: how many by CPU and by RSS
  std::string sys_dir = "/sys";    // the host's /sys, likewise (whole disks: /sys/block)
  // The host's root mounted elsewhere (a container: "/host"): filesystems are measured and
  // /etc/os-release read under it.
  std::string root_dir = "/";
  MetricsSchema schema = MetricsSchema::kDrover;
};

HostMetricsConfig parse_host_metrics_config(config::TomlReader& reader);

}  // namespace drover::inputs
