// Settings of one `type = "file"` input, parsed without touching the file system.
#pragma once

#include "config/toml_reader.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace drover::inputs {

enum class StartAt { kBeginning, kEnd };
enum class Codec { kJson, kRaw };

struct FileInputConfig {
  std::vector<std::string> include;        // glob patterns of files to tail
  std::vector<std::string> exclude;        // glob patterns matched against the full path
  StartAt start_at = StartAt::kBeginning;  // for files without a checkpoint found at start-up
  Codec codec = Codec::kJson;
  std::chrono::milliseconds poll_interval{250};     // how often idle files are checked for appends
  std::chrono::milliseconds rescan_interval{2000};  // how often globs are re-evaluated
  std::chrono::milliseconds checkpoint_interval{1000};
  uint64_t max_line_bytes = 1 << 20;  // longer lines are truncated (flagged and counted)
  uint64_t batch_bytes = 1 << 20;     // encoded bytes per batch (and per file per turn)
};

FileInputConfig parse_file_input_config(config::TomlReader& reader);

}  // namespace drover::inputs
