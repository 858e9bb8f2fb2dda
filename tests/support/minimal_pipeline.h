// The smallest pipeline, for tests about something else (logging, systemd): a file input "app"
// over <dir>/logs/*.log and a Kafka output "kafka" writing to topic "t".
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>

namespace drover::testing {

/// `agent_lines` go into [agent] after data_dir.
inline std::string minimal_pipeline(const std::filesystem::path& dir, const std::string& brokers,
                                    const std::string& agent_lines) {
  return fmt::format(R"([agent]
data_dir = "{0}/data"
{2}

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "t"
)",
                     dir.string(), brokers, agent_lines);
}

}  // namespace drover::testing
