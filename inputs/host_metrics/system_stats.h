// More of the host from /proc, parsed from the files' text (so tests can feed their own):
// processes and scheduler counters, pressure stall information, TCP connections by state, and
// what the host is (name, kernel, OS, boot time, uptime).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace drover::inputs {

/// /proc/stat's scheduler lines and /proc/loadavg's task count.
struct ProcessStat {
  uint64_t running = 0, blocked = 0;  // procs_running, procs_blocked
  uint64_t forks = 0;                 // "processes": forks since boot
  uint64_t context_switches = 0;      // "ctxt"
  uint64_t threads = 0;               // scheduling entities (loadavg's "1/234")
  uint64_t total = 0;                 // processes (/proc/<pid> folders), set by the reader
};
/// From /proc/stat and /proc/loadavg; nullopt when /proc/stat lacks its scheduler lines.
std::optional<ProcessStat> parse_process_stat(std::string_view stat, std::string_view loadavg);
/// /proc/stat's "btime": when the host booted, in seconds since the epoch.
std::optional<int64_t> parse_boot_time(std::string_view stat);

/// One line of /proc/pressure/<resource>: the share of time some (or all: full) tasks stalled.
struct PressureLine {
  double avg10 = 0, avg60 = 0, avg300 = 0;  // percent
  uint64_t total_us = 0;
};
struct Pressure {
  std::optional<PressureLine> some, full;  // cpu has no "full" before Linux 5.13
};
std::optional<Pressure> parse_pressure(std::string_view text);

/// Connections by state ("established", "listen", "time_wait"...) in /proc/net/tcp or tcp6;
/// every state is present, most at 0. Adds to `counts`.
void count_tcp_states(std::string_view text, std::map<std::string, uint64_t>& counts);
/// Every state's name, lowercase, as the kernel numbers them (1..12).
std::map<std::string, uint64_t> empty_tcp_states();
/// The name of the kernel's TCP state `state` (include/net/tcp_states.h), or nullptr.
const char* tcp_state_name(unsigned state);

struct HostInfo {
  std::string hostname, kernel, os;  // os: PRETTY_NAME of os-release
  int64_t boot_time = 0;             // seconds since the epoch
  double uptime_s = 0;
};
/// PRETTY_NAME from os-release text (quotes removed); empty if none.
std::string os_pretty_name(std::string_view os_release);
/// The first number of /proc/uptime.
std::optional<double> parse_uptime(std::string_view text);

}  // namespace drover::inputs

namespace drover::inputs {

/// One process, from /proc/<pid>/stat (and its folder's owner).
struct ProcessTimes {
  std::string command;  // comm: the executable's name, at most 15 bytes
  std::string user;
  uint64_t cpu_ticks = 0;   // utime + stime, in clock ticks
  uint64_t start_time = 0;  // in ticks after boot: tells a reused pid from the process before
  uint64_t rss_pages = 0;
};
/// /proc/<pid>/stat; nullopt if it is not as the kernel writes it.
std::optional<ProcessTimes> parse_pid_stat(std::string_view text);

}  // namespace drover::inputs
