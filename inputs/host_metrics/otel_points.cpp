#include "inputs/host_metrics/otel_points.h"

#include "agent/json_escape.h"
#include "inputs/common/record_encoder.h"
#include "inputs/host_metrics/top_processes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <set>
#include <unistd.h>

namespace drover::inputs {
namespace {

// Every sum is cumulative (OTLP's aggregation temporality 2): the value since `start_time`.
enum class Kind { kGauge, kCounter /* monotonic sum */, kUpDown /* non-monotonic sum */ };

struct Metric {
  std::string_view name, unit;
  Kind kind;
};

constexpr Metric kCpuTime{"system.cpu.time", "s", Kind::kCounter};
constexpr Metric kCpuUtilization{"system.cpu.utilization", "1", Kind::kGauge};
constexpr Metric kCpuCount{"system.cpu.logical.count", "{cpu}", Kind::kUpDown};
constexpr Metric kMemoryUsage{"system.memory.usage", "By", Kind::kUpDown};
constexpr Metric kMemoryUtilization{"system.memory.utilization", "1", Kind::kGauge};
constexpr Metric kMemoryLimit{"system.memory.limit", "By", Kind::kUpDown};
constexpr Metric kMemoryAvailable{"system.linux.memory.available", "By", Kind::kUpDown};
constexpr Metric kPagingUsage{"system.paging.usage", "By", Kind::kUpDown};
constexpr Metric kPagingUtilization{"system.paging.utilization", "1", Kind::kGauge};
constexpr Metric kLoad1{"system.cpu.load_average.1m", "{thread}", Kind::kGauge};
constexpr Metric kLoad5{"system.cpu.load_average.5m", "{thread}", Kind::kGauge};
constexpr Metric kLoad15{"system.cpu.load_average.15m", "{thread}", Kind::kGauge};
constexpr Metric kNetworkIo{"system.network.io", "By", Kind::kCounter};
constexpr Metric kNetworkPackets{"system.network.packets", "{packets}", Kind::kCounter};
constexpr Metric kNetworkErrors{"system.network.errors", "{errors}", Kind::kCounter};
constexpr Metric kNetworkDropped{"system.network.dropped", "{packets}", Kind::kCounter};
constexpr Metric kConnections{"system.network.connections", "{connections}", Kind::kUpDown};
constexpr Metric kDiskIo{"system.disk.io", "By", Kind::kCounter};
constexpr Metric kDiskOperations{"system.disk.operations", "{operations}", Kind::kCounter};
constexpr Metric kDiskIoTime{"system.disk.io_time", "s", Kind::kCounter};
constexpr Metric kDiskOperationTime{"system.disk.operation_time", "s", Kind::kCounter};
constexpr Metric kDiskMerged{"system.disk.merged", "{operations}", Kind::kCounter};
constexpr Metric kDiskPending{"system.disk.pending_operations", "{operations}", Kind::kUpDown};
constexpr Metric kDiskWeightedIoTime{"system.disk.weighted_io_time", "s", Kind::kCounter};
constexpr Metric kFilesystemUsage{"system.filesystem.usage", "By", Kind::kUpDown};
constexpr Metric kFilesystemInodes{"system.filesystem.inodes.usage", "{inodes}", Kind::kUpDown};
constexpr Metric kFilesystemUtilization{"system.filesystem.utilization", "1", Kind::kGauge};
constexpr Metric kProcessesCount{"system.processes.count", "{processes}", Kind::kUpDown};
constexpr Metric kProcessesCreated{"system.processes.created", "{processes}", Kind::kCounter};
constexpr Metric kProcessesTotal{"drover.system.processes", "{processes}", Kind::kUpDown};
constexpr Metric kThreads{"drover.system.threads", "{thread}", Kind::kUpDown};
constexpr Metric kContextSwitches{"drover.system.context_switches", "{switches}", Kind::kCounter};
constexpr Metric kPressure{"drover.system.pressure", "1", Kind::kGauge};
constexpr Metric kPressureTime{"drover.system.pressure.time", "s", Kind::kCounter};
constexpr Metric kProcessCpu{"process.cpu.utilization", "1", Kind::kGauge};
constexpr Metric kProcessMemory{"process.memory.usage", "By", Kind::kUpDown};
constexpr Metric kUptime{"system.uptime", "s", Kind::kGauge};

struct Attribute {
  Attribute(std::string_view name, std::string_view value) : key(name), text(value) {}
  Attribute(std::string_view name, int64_t value) : key(name), number(value) {}
  std::string_view key;  // empty: left out (an attribute only some points have)
  std::string_view text;
  std::optional<int64_t> number;
};
using Attributes = std::initializer_list<Attribute>;

/// A share (0..1) to 4 decimals: what a percent with 2 decimals holds, and no float noise.
double ratio(double value) { return std::round(value * 10000) / 10000; }

class PointWriter {
 public:
  PointWriter(const std::function<void(std::string_view)>& emit, std::optional<int64_t> boot_time)
      : emit_(emit) {
    // /proc's counters start at boot: that is when every cumulative sum began.
    if (boot_time) append_timestamp(start_time_, *boot_time * 1000);
  }
  void add(const Metric& metric, Attributes attributes, uint64_t value) {
    begin(metric);
    fmt::format_to(std::back_inserter(point_), "{}", value);
    end(attributes);
  }
  void add(const Metric& metric, Attributes attributes, double value) {
    if (!std::isfinite(value)) return;
    begin(metric);
    fmt::format_to(std::back_inserter(point_), "{}", value);
    end(attributes);
  }

 private:
  void begin(const Metric& metric) {
    point_.clear();
    fmt::format_to(std::back_inserter(point_), "\"name\":\"{}\",\"unit\":\"{}\",", metric.name,
                   metric.unit);
    switch (metric.kind) {
      case Kind::kGauge:
        point_ += "\"type\":\"gauge\"";
        break;
      case Kind::kCounter:
        point_ += "\"type\":\"sum\",\"monotonic\":true";
        if (!start_time_.empty()) {
          point_ += ",\"start_time\":\"";
          point_ += start_time_;
          point_ += '"';
        }
        break;
      case Kind::kUpDown:
        point_ += "\"type\":\"sum\",\"monotonic\":false";
        break;
    }
    point_ += ",\"value\":";
  }
  void end(Attributes attributes) {
    point_ += ",\"attributes\":{";
    bool first = true;
    for (const Attribute& attribute : attributes) {
      if (attribute.key.empty()) continue;
      if (!first) point_ += ',';
      first = false;
      fmt::format_to(std::back_inserter(point_), "\"{}\":", attribute.key);
      if (attribute.number) {
        fmt::format_to(std::back_inserter(point_), "{}", *attribute.number);
      } else {
        point_ += '"';
        append_json_escaped(point_, attribute.text);
        point_ += '"';
      }
    }
    point_ += '}';
    emit_(point_);
  }

  const std::function<void(std::string_view)>& emit_;
  std::string start_time_;
  std::string point_;
};

struct CpuState {
  std::string_view name;
  uint64_t CpuTimes::*ticks;
};
// The hostmetrics receiver's states, from /proc/stat's columns.
constexpr CpuState kCpuStates[] = {{"user", &CpuTimes::user},       {"nice", &CpuTimes::nice},
                                   {"system", &CpuTimes::system},   {"idle", &CpuTimes::idle},
                                   {"wait", &CpuTimes::iowait},     {"interrupt", &CpuTimes::irq},
                                   {"softirq", &CpuTimes::softirq}, {"steal", &CpuTimes::steal}};

/// One CPU's (or, with `cpu` empty, all CPUs') time by state, and its shares over the interval.
void add_cpu(PointWriter& w, const CpuTimes& now, const CpuTimes* before, std::string_view cpu) {
  static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const std::string_view cpu_key = cpu.empty() ? "" : "cpu";
  for (const CpuState& s : kCpuStates) {
    w.add(kCpuTime, {{cpu_key, cpu}, {"state", s.name}},
          static_cast<double>(now.*s.ticks) / ticks_per_second);
  }
  if (before == nullptr || now.total() <= before->total()) return;
  for (const CpuState& s : kCpuStates) {
    if (now.*s.ticks < before->*s.ticks) return;  // reset: the shares are unknown
  }
  const double elapsed = static_cast<double>(now.total() - before->total());
  for (const CpuState& s : kCpuStates) {
    w.add(kCpuUtilization, {{cpu_key, cpu}, {"state", s.name}},
          ratio(static_cast<double>(now.*s.ticks - before->*s.ticks) / elapsed));
  }
}

void add_memory(PointWriter& w, const MemoryStat& m) {
  // A partition of MemTotal, so that the states add up to it: slab that cannot be reclaimed
  // (and the kernel's other own memory) is in `used`, as `free` counts it.
  const uint64_t accounted = m.free + m.buffers + m.cached + m.slab_reclaimable;
  const std::pair<std::string_view, uint64_t> states[] = {
      {"used", m.total - std::min(m.total, accounted)},
      {"free", m.free},
      {"buffered", m.buffers},
      {"cached", m.cached},
      {"slab_reclaimable", m.slab_reclaimable}};
  for (const auto& [state, bytes] : states) w.add(kMemoryUsage, {{"state", state}}, bytes);
  if (m.total > 0) {
    for (const auto& [state, bytes] : states) {
      w.add(kMemoryUtilization, {{"state", state}},
            ratio(static_cast<double>(bytes) / static_cast<double>(m.total)));
    }
  }
  w.add(kMemoryLimit, {}, m.total);
  w.add(kMemoryAvailable, {}, m.available);
  const uint64_t swap_used = m.swap_total - std::min(m.swap_total, m.swap_free);
  w.add(kPagingUsage, {{"state", "used"}}, swap_used);
  w.add(kPagingUsage, {{"state", "free"}}, m.swap_free);
  if (m.swap_total > 0) {
    const auto share = [&](uint64_t bytes) {
      return ratio(static_cast<double>(bytes) / static_cast<double>(m.swap_total));
    };
    w.add(kPagingUtilization, {{"state", "used"}}, share(swap_used));
    w.add(kPagingUtilization, {{"state", "free"}}, share(m.swap_free));
  }
}

void add_network(PointWriter& w, const std::string& device, const NetCounters& c) {
  const std::tuple<const Metric&, uint64_t, uint64_t> rows[] = {
      {kNetworkIo, c.rx_bytes, c.tx_bytes},
      {kNetworkPackets, c.rx_packets, c.tx_packets},
      {kNetworkErrors, c.rx_errors, c.tx_errors},
      {kNetworkDropped, c.rx_dropped, c.tx_dropped}};
  for (const auto& [metric, received, transmitted] : rows) {
    w.add(metric, {{"device", device}, {"direction", "receive"}}, received);
    w.add(metric, {{"device", device}, {"direction", "transmit"}}, transmitted);
  }
}

void add_disk(PointWriter& w, const std::string& device, const DiskCounters& d) {
  const auto seconds = [](uint64_t ms) { return static_cast<double>(ms) / 1000; };
  w.add(kDiskIo, {{"device", device}, {"direction", "read"}}, d.read_bytes);
  w.add(kDiskIo, {{"device", device}, {"direction", "write"}}, d.write_bytes);
  w.add(kDiskOperations, {{"device", device}, {"direction", "read"}}, d.reads);
  w.add(kDiskOperations, {{"device", device}, {"direction", "write"}}, d.writes);
  w.add(kDiskIoTime, {{"device", device}}, seconds(d.io_ms));
  w.add(kDiskOperationTime, {{"device", device}, {"direction", "read"}}, seconds(d.read_ms));
  w.add(kDiskOperationTime, {{"device", device}, {"direction", "write"}}, seconds(d.write_ms));
  w.add(kDiskMerged, {{"device", device}, {"direction", "read"}}, d.reads_merged);
  w.add(kDiskMerged, {{"device", device}, {"direction", "write"}}, d.writes_merged);
  w.add(kDiskPending, {{"device", device}}, d.in_flight);
  w.add(kDiskWeightedIoTime, {{"device", device}}, seconds(d.weighted_io_ms));
}

void add_filesystem(PointWriter& w, const FilesystemUsage& f) {
  const std::string_view mode = f.read_only ? "ro" : "rw";
  const auto add = [&](const Metric& metric, std::string_view state, auto value) {
    w.add(metric,
          {{"device", f.device},
           {"mode", mode},
           {"mountpoint", f.path},
           {"type", f.type},
           {state.empty() ? "" : "state", state}},
          value);
  };
  const uint64_t used = f.total_bytes - std::min(f.total_bytes, f.free_bytes);
  add(kFilesystemUsage, "used", used);
  add(kFilesystemUsage, "free", f.available_bytes);
  // Blocks only root may fill (ext4 keeps 5 %): free to the kernel, not to users.
  add(kFilesystemUsage, "reserved", f.free_bytes - std::min(f.free_bytes, f.available_bytes));
  add(kFilesystemInodes, "used", f.inodes - std::min(f.inodes, f.inodes_free));
  add(kFilesystemInodes, "free", f.inodes_free);
  // As df counts it: used against what users may fill.
  if (used + f.available_bytes > 0) {
    add(kFilesystemUtilization, "",
        ratio(static_cast<double>(used) / static_cast<double>(used + f.available_bytes)));
  }
}

void add_processes(PointWriter& w, const ProcessStat& p) {
  w.add(kProcessesCount, {{"status", "running"}}, p.running);
  w.add(kProcessesCount, {{"status", "blocked"}}, p.blocked);
  w.add(kProcessesCreated, {}, p.forks);
  w.add(kProcessesTotal, {}, p.total);
  w.add(kThreads, {}, p.threads);
  w.add(kContextSwitches, {}, p.context_switches);
}

void add_pressure(PointWriter& w, const std::string& resource, const Pressure& pressure) {
  const std::pair<std::string_view, const std::optional<PressureLine>&> stalls[] = {
      {"some", pressure.some}, {"full", pressure.full}};
  for (const auto& [stall, line] : stalls) {
    if (!line) continue;
    const std::pair<std::string_view, double> windows[] = {
        {"10s", line->avg10}, {"60s", line->avg60}, {"300s", line->avg300}};
    for (const auto& [window, percent] : windows) {
      w.add(kPressure, {{"resource", resource}, {"stall", stall}, {"window", window}},
            ratio(percent / 100));
    }
    w.add(kPressureTime, {{"resource", resource}, {"stall", stall}},
          static_cast<double>(line->total_us) / 1e6);
  }
}

/// The processes both lists name, each once: their share of all CPUs and their memory.
void add_top_processes(PointWriter& w, const HostSample& now, const HostSample& before,
                       double seconds) {
  const TopProcesses top = top_processes(now, before, seconds);
  const double cpus = now.cpu && now.cpu->cores > 0
                          ? now.cpu->cores
                          : static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  std::set<int> named;
  for (const auto* list : {&top.by_cpu, &top.by_rss}) {
    for (const ProcessFigures& p : *list) {
      if (!named.insert(p.pid).second) continue;
      const Attributes attributes = {{"process.pid", int64_t{p.pid}},
                                     {"process.executable.name", p.times->command},
                                     {"process.owner", p.times->user}};
      if (p.cpu_pct && cpus > 0) w.add(kProcessCpu, attributes, ratio(*p.cpu_pct / 100 / cpus));
      w.add(kProcessMemory, attributes, p.times->rss_pages * now.page_size);
    }
  }
}

}  // namespace

std::string otel_resource(const HostSample& now, std::string_view host_name) {
  std::string out = "{\"host.name\":\"";
  append_json_escaped(out, now.host && !now.host->hostname.empty()
                               ? std::string_view(now.host->hostname)
                               : host_name);
  out += "\",\"os.type\":\"linux\"";
  if (now.host && !now.host->os.empty()) {
    out += ",\"os.description\":\"";
    append_json_escaped(out, now.host->os);
    out += '"';
  }
  // The kernel's release, as OpenTelemetry's SDKs fill os.version on Linux.
  if (now.host && !now.host->kernel.empty()) {
    out += ",\"os.version\":\"";
    append_json_escaped(out, now.host->kernel);
    out += '"';
  }
  out += '}';
  return out;
}

void for_each_otel_point(const HostSample& now, const HostSample& before,
                         const std::function<void(std::string_view point)>& emit) {
  PointWriter w(emit, now.boot_time);
  const double seconds = std::chrono::duration<double>(now.taken - before.taken).count();
  if (now.cpu) {
    w.add(kCpuCount, {}, uint64_t{now.cpu->cores});
    const bool compare = before.cpu.has_value();
    if (now.per_core) {
      // Per core only: summed over the cores they are the whole host's, as the receiver's are.
      for (size_t core = 0; core < now.cpu->per_core.size(); ++core) {
        const bool was_online = compare && core < before.cpu->per_core.size();
        add_cpu(w, now.cpu->per_core[core], was_online ? &before.cpu->per_core[core] : nullptr,
                fmt::format("cpu{}", core));
      }
    } else {
      add_cpu(w, now.cpu->all, compare ? &before.cpu->all : nullptr, "");
    }
  }
  if (now.memory) add_memory(w, *now.memory);
  if (now.load) {
    w.add(kLoad1, {}, now.load->one);
    w.add(kLoad5, {}, now.load->five);
    w.add(kLoad15, {}, now.load->fifteen);
  }
  for (const auto& [device, counters] : now.network) add_network(w, device, counters);
  for (const auto& [device, counters] : now.disks) add_disk(w, device, counters);
  for (const auto& filesystem : now.filesystems) add_filesystem(w, filesystem);
  if (now.processes) add_processes(w, *now.processes);
  for (const auto& [resource, pressure] : now.pressure) add_pressure(w, resource, pressure);
  if (now.tcp) {
    for (const auto& [state, count] : *now.tcp) {
      std::string upper = state;  // the receiver's names: ESTABLISHED, TIME_WAIT...
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      w.add(kConnections, {{"protocol", "tcp"}, {"state", upper}}, count);
    }
  }
  if (now.top_processes > 0) add_top_processes(w, now, before, seconds);
  if (now.host) w.add(kUptime, {}, now.host->uptime_s);
}

}  // namespace drover::inputs
