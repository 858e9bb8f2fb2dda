#include "inputs/host_metrics/system_stats.h"

#include "inputs/host_metrics/proc_text.h"

#include <charconv>
#include <utility>

namespace drover::inputs {
namespace {

// /proc/net/tcp's "st" column, 0x01 to 0x0C (include/net/tcp_states.h).
constexpr const char* kTcpStates[] = {"established", "syn_sent",  "syn_recv", "fin_wait1",
                                      "fin_wait2",   "time_wait", "close",    "close_wait",
                                      "last_ack",    "listen",    "closing",  "new_syn_recv"};

std::optional<double> decimal(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ProcessStat> parse_process_stat(std::string_view stat, std::string_view loadavg) {
  ProcessStat p;
  unsigned found = 0;
  for_each_line(stat, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() != 2) return;
    uint64_t* into = fields[0] == "procs_running"   ? &p.running
                     : fields[0] == "procs_blocked" ? &p.blocked
                     : fields[0] == "processes"     ? &p.forks
                     : fields[0] == "ctxt"          ? &p.context_switches
                                                    : nullptr;
    if (into != nullptr) {
      *into = number(fields[1]);
      ++found;
    }
  });
  if (found < 4) return std::nullopt;
  const auto fields = fields_of(loadavg.substr(0, loadavg.find('\n')));
  if (fields.size() >= 4) {
    const auto slash = fields[3].find('/');
    if (slash != std::string_view::npos) p.threads = number(fields[3].substr(slash + 1));
  }
  return p;
}

std::optional<int64_t> parse_boot_time(std::string_view stat) {
  std::optional<int64_t> boot_time;
  for_each_line(stat, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() == 2 && fields[0] == "btime") {
      boot_time = static_cast<int64_t>(number(fields[1]));
    }
  });
  return boot_time;
}

std::optional<Pressure> parse_pressure(std::string_view text) {
  Pressure pressure;
  for_each_line(text, [&](std::string_view line) {
    const auto fields = fields_of(line);
    if (fields.size() < 5 || (fields[0] != "some" && fields[0] != "full")) return;
    PressureLine parsed;
    unsigned found = 0;
    for (size_t i = 1; i < fields.size(); ++i) {
      const auto equals = fields[i].find('=');
      if (equals == std::string_view::npos) continue;
      const std::string_view key = fields[i].substr(0, equals);
      const std::string_view value = fields[i].substr(equals + 1);
      double* into = key == "avg10"    ? &parsed.avg10
                     : key == "avg60"  ? &parsed.avg60
                     : key == "avg300" ? &parsed.avg300
                                       : nullptr;
      if (into != nullptr) {
        if (auto v = decimal(value)) {
          *into = *v;
          ++found;
        }
      } else if (key == "total") {
        parsed.total_us = number(value);
        ++found;
      }
    }
    if (found == 4) (fields[0] == "some" ? pressure.some : pressure.full) = parsed;
  });
  if (!pressure.some) return std::nullopt;
  return pressure;
}

std::map<std::string, uint64_t> empty_tcp_states() {
  std::map<std::string, uint64_t> states;
  for (const char* name : kTcpStates) states[name] = 0;
  return states;
}

const char* tcp_state_name(unsigned state) {
  return state >= 1 && state <= std::size(kTcpStates) ? kTcpStates[state - 1] : nullptr;
}

void count_tcp_states(std::string_view text, std::map<std::string, uint64_t>& counts) {
  bool header = true;
  for_each_line(text, [&](std::string_view line) {
    if (std::exchange(header, false)) return;
    const auto fields = fields_of(line);
    if (fields.size() < 4) return;
    if (const char* name = tcp_state_name(static_cast<unsigned>(number(fields[3], 16)))) {
      ++counts[name];
    }
  });
}

std::string os_pretty_name(std::string_view os_release) {
  std::string name;
  for_each_line(os_release, [&](std::string_view line) {
    if (!line.starts_with("PRETTY_NAME=")) return;
    std::string_view value = line.substr(12);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    name = value;
  });
  return name;
}

std::optional<double> parse_uptime(std::string_view text) {
  const auto fields = fields_of(text.substr(0, text.find('\n')));
  if (fields.empty()) return std::nullopt;
  return decimal(fields[0]);
}

}  // namespace drover::inputs

namespace drover::inputs {

std::optional<ProcessTimes> parse_pid_stat(std::string_view text) {
  // "pid (comm) state ppid ..." where comm may hold spaces and parentheses: it ends at the last
  // ')'. Fields are counted from state, field 3 of proc(5).
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  const auto fields = fields_of(text.substr(close + 1, text.find('\n', close) - close - 1));
  if (fields.size() < 22) return std::nullopt;
  ProcessTimes p;
  p.command = text.substr(open + 1, close - open - 1);
  p.cpu_ticks = number(fields[11]) + number(fields[12]);  // utime, stime: fields 14 and 15
  p.start_time = number(fields[19]);                      // field 22
  p.rss_pages = number(fields[21]);                       // field 24
  return p;
}

}  // namespace drover::inputs
