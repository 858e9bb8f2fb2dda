// The record two readings make (drover's own shape): gauges as read, rates from the difference.
#include "agent/json_escape.h"
#include "inputs/common/record_encoder.h"
#include "inputs/host_metrics/host_sample.h"
#include "inputs/host_metrics/top_processes.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <vector>

namespace drover::inputs {
namespace {

void append_name(std::string& out, std::string_view name) {
  out += '"';
  append_json_escaped(out, name);
  out += "\":";
}

/// `now - before` over `seconds`, or nothing if the counter went backwards (a reset).
std::optional<double> rate(uint64_t now, uint64_t before, double seconds) {
  if (now < before || seconds <= 0) return std::nullopt;
  return static_cast<double>(now - before) / seconds;
}

void append_rate(std::string& out, const char* name, std::optional<double> value, bool& first) {
  if (!value) return;
  if (!first) out += ',';
  first = false;
  fmt::format_to(std::back_inserter(out), "\"{}\":{:.1f}", name, *value);
}

/// ,"user_pct":…,"system_pct":…,"iowait_pct":…,"steal_pct":…,"idle_pct":… over the time
/// between two readings (without the leading comma when `first`); nothing if no time passed.
void append_cpu_shares(std::string& out, const CpuTimes& a, const CpuTimes& b, bool first = false) {
  if (a.total() <= b.total()) return;
  const double total = static_cast<double>(a.total() - b.total());
  const auto pct = [&](uint64_t x, uint64_t y) {
    return x >= y ? 100.0 * static_cast<double>(x - y) / total : 0.0;
  };
  fmt::format_to(std::back_inserter(out),
                 "{}\"user_pct\":{:.2f},\"system_pct\":{:.2f},\"iowait_pct\":{:.2f},"
                 "\"steal_pct\":{:.2f},\"idle_pct\":{:.2f}",
                 first ? "" : ",", pct(a.user + a.nice, b.user + b.nice),
                 pct(a.system + a.irq + a.softirq, b.system + b.irq + b.softirq),
                 pct(a.iowait, b.iowait), pct(a.steal, b.steal), pct(a.idle, b.idle));
}

void append_process(std::string& out, const ProcessFigures& p, uint64_t page_size) {
  fmt::format_to(std::back_inserter(out), "{{\"pid\":{},\"command\":\"", p.pid);
  append_json_escaped(out, p.times->command);
  out += "\",\"user\":\"";
  append_json_escaped(out, p.times->user);
  out += '"';
  if (p.cpu_pct) fmt::format_to(std::back_inserter(out), ",\"cpu_pct\":{:.2f}", *p.cpu_pct);
  fmt::format_to(std::back_inserter(out), ",\"rss_bytes\":{}}}", p.times->rss_pages * page_size);
}

/// {"by_cpu":[…],"by_rss":[…]}: the top N processes by CPU over the interval, and by memory.
void append_top_processes(std::string& out, const HostSample& now, const HostSample& before,
                          double seconds) {
  const TopProcesses top = top_processes(now, before, seconds);
  const auto list = [&](const char* name, const std::vector<ProcessFigures>& processes) {
    fmt::format_to(std::back_inserter(out), "\"{}\":[", name);
    for (size_t i = 0; i < processes.size(); ++i) {
      if (i > 0) out += ',';
      append_process(out, processes[i], now.page_size);
    }
    out += ']';
  };
  out += '{';
  list("by_cpu", top.by_cpu);
  out += ',';
  list("by_rss", top.by_rss);
  out += '}';
}

}  // namespace

std::vector<std::string> counter_resets(const HostSample& now, const HostSample& before) {
  std::vector<std::string> resets;
  const auto check = [&](uint64_t a, uint64_t b, const std::string& name) {
    if (a < b) resets.push_back(name);
  };
  if (now.cpu && before.cpu) check(now.cpu->all.total(), before.cpu->all.total(), "cpu");
  for (const auto& [name, c] : now.network) {
    if (auto it = before.network.find(name); it != before.network.end()) {
      check(c.rx_bytes, it->second.rx_bytes, "network " + name + " rx_bytes");
      check(c.tx_bytes, it->second.tx_bytes, "network " + name + " tx_bytes");
    }
  }
  for (const auto& [name, d] : now.disks) {
    if (auto it = before.disks.find(name); it != before.disks.end()) {
      check(d.read_bytes, it->second.read_bytes, "disk " + name + " read_bytes");
      check(d.write_bytes, it->second.write_bytes, "disk " + name + " write_bytes");
      check(d.io_ms, it->second.io_ms, "disk " + name + " io_ms");
    }
  }
  if (now.processes && before.processes) {
    check(now.processes->forks, before.processes->forks, "processes forks");
    check(now.processes->context_switches, before.processes->context_switches,
          "processes context_switches");
  }
  return resets;
}

void append_host_metrics(std::string& out, const HostSample& now, const HostSample& before) {
  const double seconds = std::chrono::duration<double>(now.taken - before.taken).count();
  bool first_member = true;
  const auto member = [&](std::string_view name) {
    if (!first_member) out += ',';
    first_member = false;
    append_name(out, name);
  };
  if (now.cpu) {
    member("cpu");
    fmt::format_to(std::back_inserter(out), "{{\"cores\":{}", now.cpu->cores);
    if (before.cpu) append_cpu_shares(out, now.cpu->all, before.cpu->all);
    if (now.per_core && before.cpu) {
      out += ",\"per_core\":{";
      for (size_t core = 0; core < now.cpu->per_core.size(); ++core) {
        if (core > 0) out += ',';
        fmt::format_to(std::back_inserter(out), "\"cpu{}\":{{", core);
        // A core that came online since the reading before has nothing to compare with.
        if (core < before.cpu->per_core.size()) {
          append_cpu_shares(out, now.cpu->per_core[core], before.cpu->per_core[core], true);
        }
        out += '}';
      }
      out += '}';
    }
    out += '}';
  }
  if (now.memory) {
    const MemoryStat& m = *now.memory;
    member("memory");
    fmt::format_to(std::back_inserter(out),
                   "{{\"total_bytes\":{},\"available_bytes\":{},\"used_pct\":{:.2f},"
                   "\"swap_total_bytes\":{},\"swap_used_bytes\":{}}}",
                   m.total, m.available,
                   m.total > 0
                       ? 100.0 * static_cast<double>(m.total - std::min(m.total, m.available)) /
                             static_cast<double>(m.total)
                       : 0.0,
                   m.swap_total, m.swap_total - std::min(m.swap_total, m.swap_free));
  }
  if (now.load) {
    member("load");
    fmt::format_to(std::back_inserter(out), "{{\"1m\":{:.2f},\"5m\":{:.2f},\"15m\":{:.2f}}}",
                   now.load->one, now.load->five, now.load->fifteen);
  }
  if (!now.network.empty()) {
    member("network");
    out += '{';
    bool first = true;
    for (const auto& [name, c] : now.network) {
      if (!first) out += ',';
      first = false;
      append_name(out, name);
      fmt::format_to(std::back_inserter(out),
                     "{{\"rx_bytes\":{},\"tx_bytes\":{},\"rx_errors\":{},\"tx_errors\":{},"
                     "\"rx_dropped\":{},\"tx_dropped\":{}",
                     c.rx_bytes, c.tx_bytes, c.rx_errors, c.tx_errors, c.rx_dropped, c.tx_dropped);
      if (auto it = before.network.find(name); it != before.network.end()) {
        bool none = false;
        append_rate(out, "rx_bytes_per_s", rate(c.rx_bytes, it->second.rx_bytes, seconds), none);
        append_rate(out, "tx_bytes_per_s", rate(c.tx_bytes, it->second.tx_bytes, seconds), none);
      }
      out += '}';
    }
    out += '}';
  }
  if (!now.disks.empty()) {
    member("disk");
    out += '{';
    bool first = true;
    for (const auto& [name, d] : now.disks) {
      if (!first) out += ',';
      first = false;
      append_name(out, name);
      fmt::format_to(std::back_inserter(out), "{{\"reads\":{},\"writes\":{}", d.reads, d.writes);
      if (auto it = before.disks.find(name); it != before.disks.end()) {
        const DiskCounters& b = it->second;
        bool none = false;
        append_rate(out, "read_bytes_per_s", rate(d.read_bytes, b.read_bytes, seconds), none);
        append_rate(out, "write_bytes_per_s", rate(d.write_bytes, b.write_bytes, seconds), none);
        auto busy_pct = rate(d.io_ms, b.io_ms, seconds);  // ms busy per second
        if (busy_pct) *busy_pct /= 10;
        append_rate(out, "busy_pct", busy_pct, none);
      }
      out += '}';
    }
    out += '}';
  }
  if (!now.filesystems.empty()) {
    member("filesystem");
    out += '{';
    bool first = true;
    for (const auto& f : now.filesystems) {
      if (!first) out += ',';
      first = false;
      append_name(out, f.path);
      out += "{\"type\":\"";
      append_json_escaped(out, f.type);
      const uint64_t used = f.total_bytes - std::min(f.total_bytes, f.free_bytes);
      // As df counts it: used against what users may fill (root's reserve left out).
      const uint64_t usable = used + f.available_bytes;
      fmt::format_to(
          std::back_inserter(out),
          "\",\"total_bytes\":{},\"used_bytes\":{},\"available_bytes\":{},"
          "\"used_pct\":{:.2f},\"inodes_used_pct\":{:.2f}}}",
          f.total_bytes, used, f.available_bytes,
          usable > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(usable) : 0.0,
          f.inodes > 0 ? 100.0 * static_cast<double>(f.inodes - std::min(f.inodes, f.inodes_free)) /
                             static_cast<double>(f.inodes)
                       : 0.0);
    }
    out += '}';
  }
  if (now.processes) {
    const ProcessStat& p = *now.processes;
    member("processes");
    fmt::format_to(std::back_inserter(out),
                   "{{\"running\":{},\"blocked\":{},\"total\":{},\"threads\":{}", p.running,
                   p.blocked, p.total, p.threads);
    if (before.processes) {
      bool none = false;
      append_rate(out, "forks_per_s", rate(p.forks, before.processes->forks, seconds), none);
      append_rate(out, "context_switches_per_s",
                  rate(p.context_switches, before.processes->context_switches, seconds), none);
    }
    out += '}';
  }
  if (!now.pressure.empty()) {
    member("pressure");
    out += '{';
    bool first = true;
    for (const auto& [resource, pressure] : now.pressure) {
      if (!first) out += ',';
      first = false;
      append_name(out, resource);
      out += '{';
      const auto line = [&](const char* name, const PressureLine& l, bool leading_comma) {
        fmt::format_to(std::back_inserter(out),
                       "{}\"{}\":{{\"avg10\":{:.2f},\"avg60\":{:.2f},\"avg300\":{:.2f}}}",
                       leading_comma ? "," : "", name, l.avg10, l.avg60, l.avg300);
      };
      if (pressure.some) line("some", *pressure.some, false);
      if (pressure.full) line("full", *pressure.full, pressure.some.has_value());
      out += '}';
    }
    out += '}';
  }
  if (now.tcp) {
    member("tcp");
    out += '{';
    bool first = true;
    for (const auto& [state, count] : *now.tcp) {
      if (!first) out += ',';
      first = false;
      fmt::format_to(std::back_inserter(out), "\"{}\":{}", state, count);
    }
    out += '}';
  }
  if (now.top_processes > 0) {
    member("top_processes");
    append_top_processes(out, now, before, seconds);
  }
  if (now.host) {
    const HostInfo& h = *now.host;
    member("host");
    out += "{\"hostname\":\"";
    append_json_escaped(out, h.hostname);
    out += "\",\"kernel\":\"";
    append_json_escaped(out, h.kernel);
    out += "\",\"os\":\"";
    append_json_escaped(out, h.os);
    out += "\",\"boot_time\":\"";
    append_timestamp(out, h.boot_time * 1000);
    fmt::format_to(std::back_inserter(out), "\",\"uptime_s\":{:.0f}}}", h.uptime_s);
  }
}

}  // namespace drover::inputs
