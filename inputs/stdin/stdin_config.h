// Settings of one `type = "stdin"` input (the console producer), parsed without reading.
#pragma once

#include "config/toml_reader.h"
#include "inputs/common/line_format.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace drover::inputs {

enum class MissingKey { kError, kEmpty };

/// The line format (codec, parser, multiline...) and what only standard input has.
struct StdinConfig : LineFormat {
  // As kafka-console-producer's parse.key/key.separator: the text before the first separator is
  // the record's key, the rest its value. Empty: no keys.
  std::string key_separator;
  MissingKey missing_key = MissingKey::kError;  // a line without the separator
  uint64_t batch_bytes = 1 << 20;               // encoded bytes per batch
  // A batch goes out once input pauses this long (a person typing, a slow command).
  std::chrono::milliseconds batch_timeout{100};
  // At the end of input: how long to wait for Kafka's acknowledgements before giving up.
  std::chrono::milliseconds drain_timeout{30000};
};

StdinConfig parse_stdin_config(config::TomlReader& reader);

}  // namespace drover::inputs
