// The whole config file: [agent] settings plus named inputs and outputs, each parsed by its
// plugin. Loading validates everything and throws one ConfigError listing every problem.
#pragma once

#include "agent/batch_queue.h"
#include "agent/registry.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace drover {

struct AgentSettings {
  std::filesystem::path data_dir = "/var/lib/drover";
  std::string log_level = "info";
  std::string log_format = "text";  // "text" | "json" (one object per line)
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::string host;                              // defaults to the machine's host name
  std::string admin_address = "127.0.0.1:9899";  // /metrics, /healthz, /readyz; "" turns it off
  std::string admin_token_file;  // bearer tokens the admin endpoint requires; empty: none
};

struct InputSpec {
  std::string name;
  std::string type;
  InputBuilder build;
  std::string settings;  // its table's fingerprint: a reload restarts it when this differs
};

struct OutputSpec {
  std::string name;
  std::string type;
  std::vector<std::string> inputs;
  QueueOptions queue;  // its dir is set by the agent: <data_dir>/queue/<name>
  OutputBuilder build;
  OutputProbe probe;           // drover check --connect
  std::string settings;        // its table's fingerprint without `inputs` and `queue`
  std::string queue_settings;  // its [queue] table's fingerprint
};

struct PipelineConfig {
  AgentSettings agent;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::vector<std::string> warnings;  // allowed but risky: "file:line: key: why"
};

/// Reads and validates `path`. Throws ConfigError with every problem found.
PipelineConfig load_pipeline_config(const std::filesystem::path& path, const Registry& registry);
/// The same over TOML text; `file_name` is used in messages.
PipelineConfig parse_pipeline_config(const std::string& text, const std::string& file_name,
                                     const Registry& registry);

std::string this_host_name();

}  // namespace drover
