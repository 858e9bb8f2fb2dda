#include "bench/drover_config.h"

#include <fmt/format.h>

#include <fstream>

namespace drover::bench {

std::string producer_settings(std::string_view compression) {
  return fmt::format(
      "compression = \"{}\"\nlinger = \"50ms\"\nbatch_bytes = \"1MB\"\nacks = \"all\"\n"
      "idempotence = true\n",
      compression);
}

std::filesystem::path write_drover_config(const std::filesystem::path& dir,
                                          const DroverConfig& config) {
  const auto path = dir / "drover.toml";
  std::ofstream(path) << fmt::format(
      R"([agent]
data_dir = "{}"
admin_address = "127.0.0.1:0"

[inputs.bench]
type = "{}"
{}codec = "{}"
{}
{}
[outputs.kafka]
type = "kafka"
inputs = ["bench"{}]
brokers = ["{}"]
topic = "{}"
{}{}
)",
      (dir / "data").string(), config.input_type,
      config.input_type == "file" ? fmt::format("include = [\"{}\"]\n", config.include) : "",
      config.codec, config.input_extra,
      config.host_metrics
          ? fmt::format(
                "[inputs.host]\ntype = \"host_metrics\"\ninterval = \"10s\"\nschema = \"{}\"\n",
                config.host_metrics_schema)
          : "",
      config.host_metrics ? ", \"host\"" : "", config.bootstrap, config.topic,
      producer_settings(config.compression), config.output_extra);
  return path;
}

}  // namespace drover::bench
