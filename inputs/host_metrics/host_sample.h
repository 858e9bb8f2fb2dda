// One reading of the host's counters (host_sample.cpp), and the record two readings make
// (host_record.cpp): gauges as read, rates (CPU %, bytes/s, busy %) from the difference with
// the reading before.
#pragma once

#include "inputs/host_metrics/host_metrics_config.h"
#include "inputs/host_metrics/proc_stats.h"
#include "inputs/host_metrics/system_stats.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace drover::inputs {

struct FilesystemUsage {
  std::string path, type;
  uint64_t total_bytes = 0, free_bytes = 0, available_bytes = 0;
  uint64_t inodes = 0, inodes_free = 0;
  std::string device;
  bool read_only = false;
};

struct HostSample {
  std::chrono::steady_clock::time_point taken;
  std::optional<CpuStat> cpu;
  std::optional<MemoryStat> memory;
  std::optional<LoadStat> load;
  std::map<std::string, NetCounters> network;
  std::map<std::string, DiskCounters> disks;
  std::vector<FilesystemUsage> filesystems;
  std::optional<ProcessStat> processes;
  std::map<std::string, Pressure>
      pressure;  // by resource: cpu, memory, io (where the kernel has PSI)
  std::optional<std::map<std::string, uint64_t>> tcp;  // connections by state, IPv4 and IPv6
  std::optional<HostInfo> host;
  std::optional<int64_t> boot_time;  // "btime": the host collector's, and when otel's sums began
  bool per_core = false;             // the cpu_per_core collector is on
  std::map<int, ProcessTimes> process_times;  // by pid, with the top_processes collector
  uint64_t top_processes = 0;                 // how many of them the record names
  uint64_t page_size = 4096;
  std::vector<std::string> errors;  // what could not be read, for the log
};

/// Reads what the config's collectors name.
HostSample read_host_sample(const HostMetricsConfig& config);

/// Whole disks among /proc/diskstats' devices: partitions (vda1, nvme0n1p2) and loop, ram and
/// zram devices are left out.
bool is_whole_disk(const std::string& name, const std::map<std::string, DiskCounters>& all);

/// The counters that went backwards between two readings (a reboot, a reset, a device
/// replaced): "network eth0 rx_bytes", ... Their rates are left out of the record.
std::vector<std::string> counter_resets(const HostSample& now, const HostSample& before);

/// Appends the members after the envelope: "cpu":{...},"memory":{...},... (no braces around).
/// The otel schema's records are otel_points.h's.
void append_host_metrics(std::string& out, const HostSample& now, const HostSample& before);

}  // namespace drover::inputs
