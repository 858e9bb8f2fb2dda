// journald → Kafka: drover following a busy journal (entries appended by systemd-journal-remote
// at a steady rate), against the same drover following a file written at the same rate: CPU
// per entry and per line, until the mock cluster holds them all.
#pragma once

#include "bench/report.h"

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct JournaldOptions {
  uint64_t entries_per_second = 10000;
  std::chrono::seconds duration{20};
  int runs = 3;
  std::filesystem::path drover;
  std::filesystem::path work_dir;
};

void journald_follow(const JournaldOptions& options, Report& report);

}  // namespace drover::bench
