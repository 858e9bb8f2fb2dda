// spill: how fast the queue writes batches to its disk segments and replays them, against `dd`
// writing the same number of bytes (with fdatasync) and reading them back, in the same run.
#pragma once

#include "bench/report.h"

#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct SpillOptions {
  uint64_t bytes = 512ULL << 20;
  int runs = 5;
  std::filesystem::path work_dir;
};

void spill(const SpillOptions& options, Report& report);

}  // namespace drover::bench
