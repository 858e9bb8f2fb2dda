// Outage memory (I4): the brokers are down for minutes while lines arrive at a steady rate.
// drover's resident memory, sampled every second, must stay within its queue memory budget plus
// a fixed overhead while the rest goes to disk; then the brokers return and every line arrives.
#pragma once

#include "bench/report.h"

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct OutageOptions {
  std::chrono::seconds duration{180};
  uint64_t lines_per_second = 10000;
  uint64_t memory_bytes = 10 << 20;  // the queue's budget (drover's default)
  std::filesystem::path drover;
  std::filesystem::path work_dir;
};

void outage_memory(const OutageOptions& options, Report& report);

}  // namespace drover::bench
