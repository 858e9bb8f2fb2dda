// What the host metrics input reads from /proc, parsed from the files' text (so tests can feed
// their own): CPU time, memory, load, network and disk counters, mounted filesystems.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::inputs {

/// The "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
};
struct CpuStat {
  CpuTimes all;
  unsigned cores = 0;              // "cpuN" lines
  std::vector<CpuTimes> per_core;  // in their order (cpu0, cpu1...)
};
std::optional<CpuStat> parse_proc_stat(std::string_view text);

struct MemoryStat {
  uint64_t total = 0, available = 0, swap_total = 0, swap_free = 0;  // bytes
  uint64_t free = 0, buffers = 0, cached = 0, slab_reclaimable = 0;
};
std::optional<MemoryStat> parse_meminfo(std::string_view text);

struct LoadStat {
  double one = 0, five = 0, fifteen = 0;
};
std::optional<LoadStat> parse_loadavg(std::string_view text);

struct NetCounters {
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};
/// By interface name.
std::map<std::string, NetCounters> parse_net_dev(std::string_view text);

struct DiskCounters {
  uint64_t reads = 0, read_bytes = 0, writes = 0, write_bytes = 0;
  uint64_t io_ms = 0;                            // time the device was busy
  uint64_t reads_merged = 0, writes_merged = 0;  // requests merged into one before they ran
  uint64_t read_ms = 0, write_ms = 0;            // time requests took, summed over requests
  uint64_t in_flight = 0;                        // requests under way now
  uint64_t weighted_io_ms = 0;                   // busy time times the queue's length
};
/// By device name.
std::map<std::string, DiskCounters> parse_diskstats(std::string_view text);

struct Mount {
  std::string device, path, type;
  bool read_only = false;  // "ro" among its options
};
/// /proc/self/mounts; octal escapes (\040 for a space) decoded.
std::vector<Mount> parse_mounts(std::string_view text);

/// Local disk filesystems worth reporting (not proc, tmpfs, network filesystems...).
bool is_disk_filesystem(std::string_view type);

/// Reads a whole (small) file; nullopt if it cannot.
std::optional<std::string> read_small_file(const std::string& path);

}  // namespace drover::inputs
