#include "inputs/host_metrics/proc_stats.h"

#include "inputs/host_metrics/proc_text.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace drover::inputs {

std::optional<CpuStat> parse_proc_stat(std::string_view text) {
  CpuStat stat;
  bool found = false;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.empty()) return;
    if (fields[0] == "cpu" && fields.size() >= 9) {
      uint64_t* const into[] = {&stat.all.user,    &stat.all.nice,   &stat.all.system,
                                &stat.all.idle,    &stat.all.iowait, &stat.all.irq,
                                &stat.all.softirq, &stat.all.steal};
      for (size_t i = 0; i < std::size(into); ++i) *into[i] = number(fields[i + 1]);
      found = true;
    } else if (fields[0].size() > 3 && fields[0].starts_with("cpu") && fields.size() >= 9) {
      ++stat.cores;
      CpuTimes& core = stat.per_core.emplace_back();
      uint64_t* const into[] = {&core.user,   &core.nice, &core.system,  &core.idle,
                                &core.iowait, &core.irq,  &core.softirq, &core.steal};
      for (size_t i = 0; i < std::size(into); ++i) *into[i] = number(fields[i + 1]);
    }
  });
  if (!found) return std::nullopt;
  return stat;
}

std::optional<MemoryStat> parse_meminfo(std::string_view text) {
  struct Field {
    std::string_view name;
    uint64_t MemoryStat::*bytes;
    bool required;
  };
  static constexpr Field kFields[] = {{"MemTotal:", &MemoryStat::total, true},
                                      {"MemAvailable:", &MemoryStat::available, true},
                                      {"MemFree:", &MemoryStat::free, false},
                                      {"Buffers:", &MemoryStat::buffers, false},
                                      {"Cached:", &MemoryStat::cached, false},
                                      {"SReclaimable:", &MemoryStat::slab_reclaimable, false},
                                      {"SwapTotal:", &MemoryStat::swap_total, false},
                                      {"SwapFree:", &MemoryStat::swap_free, false}};
  MemoryStat stat;
  unsigned required_found = 0;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() < 2) return;
    for (const Field& field : kFields) {
      if (fields[0] != field.name) continue;
      stat.*field.bytes = number(fields[1]) * (fields.size() > 2 && fields[2] == "kB" ? 1024 : 1);
      if (field.required) ++required_found;
      return;
    }
  });
  if (required_found < 2) return std::nullopt;
  return stat;
}

std::optional<LoadStat> parse_loadavg(std::string_view text) {
  const auto fields = fields_of(text.substr(0, text.find('\n')));
  if (fields.size() < 3) return std::nullopt;
  LoadStat load;
  double* const into[] = {&load.one, &load.five, &load.fifteen};
  for (size_t i = 0; i < 3; ++i) {
    auto [end, ec] =
        std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), *into[i]);
    if (ec != std::errc()) return std::nullopt;
  }
  return load;
}

std::map<std::string, NetCounters> parse_net_dev(std::string_view text) {
  std::map<std::string, NetCounters> interfaces;
  for_each_line(text, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;  // the two header lines
    const auto name = fields_of(line.substr(0, colon));
    const auto fields = fields_of(line.substr(colon + 1));
    if (name.size() != 1 || fields.size() < 12) return;
    NetCounters& c = interfaces[std::string(name[0])];
    c.rx_bytes = number(fields[0]);
    c.rx_packets = number(fields[1]);
    c.rx_errors = number(fields[2]);
    c.rx_dropped = number(fields[3]);
    c.tx_bytes = number(fields[8]);
    c.tx_packets = number(fields[9]);
    c.tx_errors = number(fields[10]);
    c.tx_dropped = number(fields[11]);
  });
  return interfaces;
}

std::map<std::string, DiskCounters> parse_diskstats(std::string_view text) {
  constexpr uint64_t kSectorBytes = 512;  // the unit of /proc/diskstats, whatever the device's
  std::map<std::string, DiskCounters> disks;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() < 13) return;
    DiskCounters& d = disks[std::string(fields[2])];
    d.reads = number(fields[3]);
    d.reads_merged = number(fields[4]);
    d.read_bytes = number(fields[5]) * kSectorBytes;
    d.read_ms = number(fields[6]);
    d.writes = number(fields[7]);
    d.writes_merged = number(fields[8]);
    d.write_bytes = number(fields[9]) * kSectorBytes;
    d.write_ms = number(fields[10]);
    d.in_flight = number(fields[11]);
    d.io_ms = number(fields[12]);
    if (fields.size() > 13) d.weighted_io_ms = number(fields[13]);
  });
  return disks;
}

std::vector<Mount> parse_mounts(std::string_view text) {
  const auto unescape = [](std::string_view field) {
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
      if (field[i] == '\\' && i + 3 < field.size() &&
          field.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                 (field[i + 3] - '0'));
        i += 3;
      } else {
        out += field[i];
      }
    }
    return out;
  };
  std::vector<Mount> mounts;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() < 3) return;
    const bool read_only =
        fields.size() > 3 && ("," + std::string(fields[3]) + ",").find(",ro,") != std::string::npos;
    mounts.push_back({unescape(fields[0]), unescape(fields[1]), std::string(fields[2]), read_only});
  });
  return mounts;
}

bool is_disk_filesystem(std::string_view type) {
  static constexpr std::string_view kTypes[] = {"ext2",  "ext3", "ext4",     "xfs",     "btrfs",
                                                "zfs",   "f2fs", "vfat",     "exfat",   "ntfs",
                                                "ntfs3", "jfs",  "reiserfs", "bcachefs"};
  for (auto t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace drover::inputs
