// The drover.toml each bench scenario runs: one file input, one Kafka output, everything else
// at drover's defaults unless the scenario says otherwise.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace drover::bench {

/// The producer settings every bench scenario gives drover's Kafka output (and kcat): what
/// issue 7 compares at, with the codec the scenario names.
std::string producer_settings(std::string_view compression = "lz4");

struct DroverConfig {
  std::string include;  // a glob (a file input's)
  std::string input_type = "file";
  std::string codec = "json";
  std::string bootstrap;
  std::string topic;
  std::string output_extra;   // more TOML lines for [outputs.kafka]
  std::string input_extra;    // more TOML lines for [inputs.bench]
  bool host_metrics = false;  // and a host_metrics input (every 10 s) to the same output
  std::string host_metrics_schema = "drover";
  std::string compression = "lz4";
};

/// Writes <dir>/drover.toml (data under <dir>/data) and returns its path.
std::filesystem::path write_drover_config(const std::filesystem::path& dir,
                                          const DroverConfig& config);

}  // namespace drover::bench
