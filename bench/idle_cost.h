// What watching files costs when little happens: 10 idle files; and 10,000 matched files of which
// 10 are being written. CPU as % of one core over a steady period, RSS, open descriptors.
#pragma once

#include "bench/report.h"

#include <chrono>
#include <filesystem>

namespace drover::bench {

struct IdleOptions {
  std::chrono::seconds duration{60};
  int many_files = 10000;
  int active_files = 10;
  std::filesystem::path drover;
  std::filesystem::path work_dir;
  std::string output_settings;  // more TOML lines for drover's Kafka output (A/B runs)
};

void idle_cost(const IdleOptions& options, Report& report);

}  // namespace drover::bench
