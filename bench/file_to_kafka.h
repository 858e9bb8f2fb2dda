// file → Kafka: one file of N lines shipped by `kcat -P -l` (the bare librdkafka producer) and
// by drover (raw and JSON-envelope codecs) with the same producer settings, in the same run:
// wall time until the topic holds N records, CPU seconds, peak RSS, time to the first record.
#pragma once

#include "bench/kafka_sink.h"
#include "bench/report.h"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace drover::bench {

struct FileToKafkaOptions {
  std::vector<uint64_t> line_counts;
  int runs = 5;
  std::filesystem::path drover;  // the binary
  std::filesystem::path work_dir;
  std::string input_settings;   // more TOML lines for drover's input (A/B runs)
  std::string output_settings;  // and for its output
  bool census = true;           // read each tool's topic back once: exact count, no duplicates
  // Not empty: one more run per tool, not counted, with `perf record` attached; its data goes
  // to <profile_dir>/file-<sink>-<lines>.<tool>.perf.data for bench/flame.
  std::filesystem::path profile_dir;
  // Not empty: another drover binary measured in the same runs (an A/B of a change).
  std::filesystem::path baseline;
};

void file_to_kafka(KafkaSink& sink, const FileToKafkaOptions& options, Report& report);

}  // namespace drover::bench
