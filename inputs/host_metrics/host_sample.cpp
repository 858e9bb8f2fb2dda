#include "inputs/host_metrics/host_sample.h"

#include "agent/json_escape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <sys/statvfs.h>

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

bool collects(const HostMetricsConfig& config, const char* name) {
  return config.collectors.count(name) != 0;
}

}  // namespace

bool is_whole_disk(const std::string& name, const std::map<std::string, DiskCounters>& all) {
  for (const char* prefix : {"loop", "ram", "zram"}) {
    if (name.starts_with(prefix)) return false;
  }
  // A partition is its disk's name and a number (sda1), with a 'p' when the disk's name ends
  // in a digit (nvme0n1p1, mmcblk0p2).
  for (const auto& [other, counters] : all) {
    if (other.size() >= name.size() || !name.starts_with(other)) continue;
    std::string_view rest = std::string_view(name).substr(other.size());
    if (!rest.empty() && rest.front() == 'p' &&
        std::isdigit(static_cast<unsigned char>(other.back()))) {
      rest.remove_prefix(1);
    }
    if (!rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return false;
    }
  }
  return true;
}

HostSample read_host_sample(const HostMetricsConfig& config) {
  HostSample sample;
  sample.taken = std::chrono::steady_clock::now();
  const auto read = [&](const char* file) -> std::optional<std::string> {
    auto text = read_small_file(config.proc_dir + "/" + file);
    if (!text) sample.errors.push_back(fmt::format("cannot read {}/{}", config.proc_dir, file));
    return text;
  };
  if (collects(config, "cpu")) {
    if (auto text = read("stat")) sample.cpu = parse_proc_stat(*text);
  }
  if (collects(config, "memory")) {
    if (auto text = read("meminfo")) sample.memory = parse_meminfo(*text);
  }
  if (collects(config, "load")) {
    if (auto text = read("loadavg")) sample.load = parse_loadavg(*text);
  }
  if (collects(config, "network")) {
    if (auto text = read("net/dev")) {
      sample.network = parse_net_dev(*text);
      for (const auto& name : config.interfaces_exclude) sample.network.erase(name);
    }
  }
  if (collects(config, "disk")) {
    if (auto text = read("diskstats")) {
      auto all = parse_diskstats(*text);
      for (auto& [name, counters] : all) {
        if (is_whole_disk(name, all)) sample.disks.emplace(name, counters);
      }
    }
  }
  if (collects(config, "filesystem")) {
    if (auto text = read("self/mounts")) {
      for (const auto& mount : parse_mounts(*text)) {
        const bool wanted = config.filesystems.empty()
                                ? is_disk_filesystem(mount.type)
                                : std::find(config.filesystems.begin(), config.filesystems.end(),
                                            mount.path) != config.filesystems.end();
        if (!wanted ||
            std::any_of(sample.filesystems.begin(), sample.filesystems.end(),
                        [&](const FilesystemUsage& f) { return f.path == mount.path; })) {
          continue;
        }
        struct statvfs st {};
        if (::statvfs(mount.path.c_str(), &st) != 0) {
          sample.errors.push_back(fmt::format("cannot statvfs {}", mount.path));
          continue;
        }
        sample.filesystems.push_back({mount.path, mount.type, st.f_blocks * st.f_frsize,
                                      st.f_bfree * st.f_frsize, st.f_bavail * st.f_frsize,
                                      st.f_files, st.f_ffree});
      }
    }
  }
  return sample;
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
    if (before.cpu && now.cpu->all.total() > before.cpu->all.total()) {
      const CpuTimes& a = now.cpu->all;
      const CpuTimes& b = before.cpu->all;
      const double total = static_cast<double>(a.total() - b.total());
      const auto pct = [&](uint64_t x, uint64_t y) {
        return x >= y ? 100.0 * static_cast<double>(x - y) / total : 0.0;
      };
      fmt::format_to(std::back_inserter(out),
                     ",\"user_pct\":{:.2f},\"system_pct\":{:.2f},\"iowait_pct\":{:.2f},"
                     "\"steal_pct\":{:.2f},\"idle_pct\":{:.2f}",
                     pct(a.user + a.nice, b.user + b.nice),
                     pct(a.system + a.irq + a.softirq, b.system + b.irq + b.softirq),
                     pct(a.iowait, b.iowait), pct(a.steal, b.steal), pct(a.idle, b.idle));
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
}

}  // namespace drover::inputs
