// The cost curve: drover (raw codec) against kcat in the same run while one thing changes at a
// time from a base case (200-byte lines, 1 file, 1 partition, lz4): line size 64 B to 16 KiB;
// 10 and 100 files; 12 partitions; gzip and zstd. What a user plans capacity with.
#pragma once

#include "bench/kafka_sink.h"
#include "bench/report.h"

#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct CostCurveOptions {
  uint64_t bytes_per_case = 96ULL << 20;  // each case ships about this much
  int runs = 3;
  std::filesystem::path drover;
  std::filesystem::path work_dir;
  std::filesystem::path data_file;  // not empty: the line-size points as TSV, for the plot
  std::string input_settings;       // more TOML lines for drover's input (A/B runs)
  std::string output_settings;      // and for its output
};

void cost_curve(KafkaSink& sink, const CostCurveOptions& options, Report& report);

}  // namespace drover::bench
