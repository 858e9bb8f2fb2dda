#include "inputs/host_metrics/host_sample.h"

#include "agent/json_escape.h"
#include "inputs/host_metrics/tcp_sockets.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace drover::inputs {
namespace {

bool collects(const HostMetricsConfig& config, const char* name) {
  return config.collectors.count(name) != 0;
}

/// `path` (absolute, or relative to the root) under the host's root.
std::string root_path(const HostMetricsConfig& config, std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string root = config.root_dir;
  if (root.back() != '/') root += '/';
  return root + std::string(path);
}

/// The names in <sys_dir>/block: the whole disks (partitions are below them); nullopt without it.
std::optional<std::set<std::string>> list_block_devices(const std::string& sys_dir) {
  std::error_code error;
  std::filesystem::directory_iterator it(sys_dir + "/block", error);
  if (error) return std::nullopt;
  std::set<std::string> names;
  for (const auto& entry : it) names.insert(entry.path().filename().string());
  return names;
}

/// Every process's times and memory, by pid. Its user is its /proc folder's owner.
std::map<int, ProcessTimes> read_process_times(const std::string& proc_dir) {
  std::map<int, ProcessTimes> processes;
  std::map<uid_t, std::string> users;  // names looked up once per reading
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(proc_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      continue;
    }
    // A process that exits meanwhile has no stat any more: it is simply not there.
    const auto text = read_small_file(entry.path().string() + "/stat");
    if (!text) continue;
    auto times = parse_pid_stat(*text);
    if (!times) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) == 0) {
      auto [user, added] = users.try_emplace(st.st_uid);
      if (added) {
        passwd pw{};
        passwd* found = nullptr;
        std::array<char, 1024> buffer{};
        user->second = ::getpwuid_r(st.st_uid, &pw, buffer.data(), buffer.size(), &found) == 0 &&
                               found != nullptr
                           ? std::string(pw.pw_name)
                           : std::to_string(st.st_uid);
      }
      times->user = user->second;
    }
    processes.emplace(std::stoi(name), std::move(*times));
  }
  return processes;
}

/// The numeric folders of /proc: one per process.
uint64_t count_processes(const std::string& proc_dir) {
  uint64_t count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(proc_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      ++count;
    }
  }
  return count;
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
  const auto malformed = [&](const std::string& file) {
    return fmt::format("{}/{} is not as expected", config.proc_dir, file);
  };
  std::optional<std::string> stat;  // /proc/stat, read once for cpu, processes and host
  const bool otel = config.schema == MetricsSchema::kOtel;
  if (collects(config, "cpu") || collects(config, "cpu_per_core") ||
      collects(config, "processes") || collects(config, "host") || otel) {
    stat = read("stat");
  }
  if ((otel || collects(config, "host")) && stat) sample.boot_time = parse_boot_time(*stat);
  if ((collects(config, "cpu") || collects(config, "cpu_per_core")) && stat) {
    sample.cpu = parse_proc_stat(*stat);
    if (!sample.cpu) sample.errors.push_back(malformed("stat"));
    sample.per_core = collects(config, "cpu_per_core");
  }
  if (collects(config, "memory")) {
    if (auto text = read("meminfo")) sample.memory = parse_meminfo(*text);
  }
  // /proc/loadavg, read once for load and processes (its task count).
  std::optional<std::string> loadavg;
  if (collects(config, "load") || collects(config, "processes")) loadavg = read("loadavg");
  if (collects(config, "load") && loadavg) sample.load = parse_loadavg(*loadavg);
  if (collects(config, "network")) {
    if (auto text = read("net/dev")) {
      sample.network = parse_net_dev(*text);
      for (const auto& name : config.interfaces_exclude) sample.network.erase(name);
    }
  }
  if (collects(config, "disk")) {
    if (auto text = read("diskstats")) {
      auto all = parse_diskstats(*text);
      // /sys/block lists the whole disks; without it (no /sys in a container), names tell.
      const auto block_devices = list_block_devices(config.sys_dir);
      for (auto& [name, counters] : all) {
        const bool whole = block_devices
                               ? block_devices->count(name) != 0 && !name.starts_with("loop") &&
                                     !name.starts_with("ram") && !name.starts_with("zram")
                               : is_whole_disk(name, all);
        if (whole) sample.disks.emplace(name, counters);
      }
    }
  }
  if (collects(config, "top_processes")) {
    sample.process_times = read_process_times(config.proc_dir);
    sample.top_processes = config.top_processes;
    sample.page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  }
  if (collects(config, "processes") && stat) {
    sample.processes = parse_process_stat(*stat, loadavg.value_or(""));
    if (!sample.processes) sample.errors.push_back(malformed("stat"));
  }
  if (sample.processes) {
    // /proc was listed already when top_processes is on.
    sample.processes->total = collects(config, "top_processes") ? sample.process_times.size()
                                                                : count_processes(config.proc_dir);
  }
  if (collects(config, "pressure")) {
    // Absent without CONFIG_PSI (or with psi=0): not an error, the section is left out.
    for (const char* resource : {"cpu", "memory", "io"}) {
      const auto text = read_small_file(config.proc_dir + "/pressure/" + resource);
      if (!text) continue;
      if (auto pressure = parse_pressure(*text)) {
        sample.pressure[resource] = *pressure;
      } else {
        sample.errors.push_back(malformed(std::string("pressure/") + resource));
      }
    }
  }
  if (collects(config, "tcp")) {
    auto states = empty_tcp_states();
    // The files under another proc_dir (a test's, or a host's /proc mounted elsewhere) are read
    // as they are; this process's own network namespace is asked over netlink, which is cheap.
    bool any = config.proc_dir == "/proc" && count_tcp_states_by_netlink(states);
    if (!any) {
      for (const char* file : {"net/tcp", "net/tcp6"}) {
        // tcp6 is absent without IPv6.
        if (auto text = read_small_file(config.proc_dir + "/" + file)) {
          count_tcp_states(*text, states);
          any = true;
        }
      }
    }
    if (any) {
      sample.tcp = std::move(states);
    } else {
      sample.errors.push_back(fmt::format("cannot read {}/net/tcp", config.proc_dir));
    }
  }
  if (collects(config, "host")) {
    HostInfo host;
    const auto first_line = [](std::optional<std::string> text) {
      return text ? text->substr(0, text->find('\n')) : std::string();
    };
    host.hostname = first_line(read("sys/kernel/hostname"));
    host.kernel = first_line(read("sys/kernel/osrelease"));
    const std::string os_release = root_path(config, "etc/os-release");
    host.os = os_pretty_name(read_small_file(os_release).value_or(""));
    host.boot_time = sample.boot_time.value_or(0);
    if (auto uptime = read("uptime")) host.uptime_s = parse_uptime(*uptime).value_or(0);
    sample.host = std::move(host);
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
        if (::statvfs(root_path(config, mount.path).c_str(), &st) != 0) {
          sample.errors.push_back(fmt::format("cannot statvfs {}", mount.path));
          continue;
        }
        sample.filesystems.push_back({mount.path, mount.type, st.f_blocks * st.f_frsize,
                                      st.f_bfree * st.f_frsize, st.f_bavail * st.f_frsize,
                                      st.f_files, st.f_ffree, mount.device, mount.read_only});
      }
    }
  }
  return sample;
}

}  // namespace drover::inputs
