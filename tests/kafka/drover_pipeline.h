// Runs drover (the real binary) from a file input to a Kafka output, for end-to-end tests:
// a work directory with logs/, a config built from the test's options, and the process.
#pragma once

#include "tests/support/drover_process.h"
#include "tests/support/temp_dir.h"

#include <fmt/format.h>

#include <memory>
#include <string>

namespace drover::testing {

struct PipelineOptions {
  std::string brokers;
  std::string topic;
  std::string key;  // template; empty = no key
  std::string compression = "lz4";
  std::string extra_output_toml;  // more lines for [outputs.kafka]
  std::string linger = "10ms";
  std::string output_inputs = R"(["app"])";  // what the output ships
  std::string extra_toml;                    // more tables: another input, for instance
};

class DroverPipeline {
 public:
  explicit DroverPipeline(PipelineOptions options) : options_(std::move(options)) {
    std::filesystem::create_directories(dir_ / "logs");
  }

  std::filesystem::path log_path(const std::string& name) const { return dir_ / "logs" / name; }
  std::filesystem::path dead_letter_file() const {
    return dir_ / "data" / "dead_letter" / "kafka.ndjson";
  }

  void start() {
    const auto config = dir_ / "drover.toml";
    write_file(config, fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "10s"
admin_address = "127.0.0.1:0"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"
poll_interval = "20ms"
rescan_interval = "200ms"

[outputs.kafka]
type = "kafka"
inputs = {6}
brokers = ["{1}"]
topic = "{2}"
key = "{3}"
compression = "{4}"
linger = "{7}"
{5}

{8}
)",
                                   dir_.path().string(), options_.brokers, options_.topic,
                                   options_.key, options_.compression, options_.extra_output_toml,
                                   options_.output_inputs, options_.linger, options_.extra_toml));
    process_ = std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", config.string()}, dir_ / "stdout.txt",
        dir_ / fmt::format("drover-{}.log", runs_++));
  }

  /// SIGTERM and the exit code (0 for a lossless stop).
  int stop() {
    process_->signal(SIGTERM);
    return process_->wait_exit(std::chrono::seconds(60));
  }

  std::string log() const { return process_ ? process_->log() : std::string(); }
  bool running() const { return process_ && process_->running(); }

  /// Where this run's admin endpoint listens ("" until it does).
  std::string admin_address() const {
    std::string address = read_file(dir_ / "data" / "admin.address");
    address.erase(address.find_last_not_of('\n') + 1);
    return address;
  }

  /// The counter lines drover logs when it stops ("drover_... N").
  std::string counters() const {
    std::string out;
    const std::string text = log();
    for (size_t at = text.find("\ndrover_"); at != std::string::npos;
         at = text.find("\ndrover_", at + 1)) {
      out += text.substr(at + 1, text.find('\n', at + 1) - at);
    }
    return out;
  }

 private:
  PipelineOptions options_;
  TempDir dir_;
  std::unique_ptr<DroverProcess> process_;
  int runs_ = 0;
};

}  // namespace drover::testing
