#include "inputs/host_metrics/top_processes.h"

#include <algorithm>
#include <unistd.h>

namespace drover::inputs {

TopProcesses top_processes(const HostSample& now, const HostSample& before, double seconds) {
  static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::vector<ProcessFigures> all;
  all.reserve(now.process_times.size());
  for (const auto& [pid, times] : now.process_times) {
    ProcessFigures p{pid, &times, std::nullopt};
    const auto it = before.process_times.find(pid);
    // A pid reused by a new process is told apart by its start time.
    if (it != before.process_times.end() && it->second.start_time == times.start_time &&
        times.cpu_ticks >= it->second.cpu_ticks && seconds > 0) {
      p.cpu_pct = 100.0 * static_cast<double>(times.cpu_ticks - it->second.cpu_ticks) /
                  ticks_per_second / seconds;
    }
    all.push_back(p);
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(now.top_processes), all.size());
  const auto top = [&](auto&& before_in_order) {
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                      before_in_order);
    return std::vector<ProcessFigures>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  };
  TopProcesses result;
  result.by_cpu = top([](const ProcessFigures& a, const ProcessFigures& b) {
    const double x = a.cpu_pct.value_or(-1), y = b.cpu_pct.value_or(-1);
    return x != y ? x > y : a.pid < b.pid;
  });
  result.by_rss = top([](const ProcessFigures& a, const ProcessFigures& b) {
    return a.times->rss_pages != b.times->rss_pages ? a.times->rss_pages > b.times->rss_pages
                                                    : a.pid < b.pid;
  });
  return result;
}

}  // namespace drover::inputs
