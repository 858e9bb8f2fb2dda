// `drover produce`: the console producer without a config file. Standard input's lines go to
// one topic, optionally keyed (kafka-console-producer's parse.key and key.separator); drover
// exits once Kafka has them all (0) or once it gives up (1).
#pragma once

#include "agent/registry.h"

#include <string>
#include <string_view>
#include <vector>

namespace drover {

struct ProduceOptions {
  std::vector<std::string> brokers;
  std::string topic;
  std::string key_separator;    // empty: no keys
  bool keyless_lines = false;   // a line without the separator goes without a key
  std::string codec = "raw";    // the line as it is; "json": drover's envelope
  std::string timeout = "30s";  // waiting for Kafka at the end
  bool progress = false;
};

/// Parses what follows `drover produce`; an error says what is wrong.
struct ParsedProduce {
  ProduceOptions options;
  std::string error;
};
ParsedProduce parse_produce_arguments(const std::vector<std::string_view>& args);

/// The pipeline `drover produce` runs, as a config file would say it (data in `data_dir`).
std::string produce_config(const ProduceOptions& options, const std::string& data_dir);

/// Runs it; returns the exit code. Throws ConfigError for bad options (a bad topic name...).
int run_produce(const ProduceOptions& options, const Registry& registry);

}  // namespace drover
