// The processes using the most CPU over the time between two readings, and the most memory:
// what both schemas name under top_processes.
#pragma once

#include "inputs/host_metrics/host_sample.h"

#include <optional>
#include <vector>

namespace drover::inputs {

struct ProcessFigures {
  int pid;
  const ProcessTimes* times;      // in the reading it came from
  std::optional<double> cpu_pct;  // of one core; none for a process new since the reading before
};

struct TopProcesses {
  std::vector<ProcessFigures> by_cpu, by_rss;  // at most now.top_processes each, largest first
};

/// Pointers into `now`, which must outlive the result.
TopProcesses top_processes(const HostSample& now, const HostSample& before, double seconds);

}  // namespace drover::inputs
