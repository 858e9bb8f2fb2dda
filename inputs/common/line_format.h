// How an input reads lines and writes them as records, the settings every line-reading input
// shares: the codec records are written with, whether lines are read as JSON (and which of
// their fields give the time and the key), what to do with invalid UTF-8, how long a line may
// be and how lines join into one record (multiline).
#pragma once

#include "config/toml_reader.h"
#include "inputs/common/event_time.h"
#include "inputs/common/multiline.h"

#include <cstdint>
#include <optional>
#include <string>

namespace drover::inputs {

enum class Codec { kJson, kRaw };
enum class InvalidUtf8 { kReplace, kKeep };  // keep: only with the raw codec
enum class Parser { kRaw, kJson };           // how a line is read; the codec is how it is written

struct JsonParserConfig {
  std::string timestamp_field;  // "a.b" is the member b of the object a; empty: none
  TimestampFormat timestamp_format = TimestampFormat::kAuto;
  std::string key_field;  // its value (JSON text unless a string) becomes the Kafka key
};

struct LineFormat {
  Codec codec = Codec::kJson;
  Parser parser = Parser::kRaw;
  JsonParserConfig json;                             // parser = "json" only
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kReplace;  // default: keep with the raw codec
  uint64_t max_line_bytes = 1 << 20;         // longer lines are truncated (flagged and counted)
  std::optional<MultilineConfig> multiline;  // [inputs.<name>.multiline]
};

/// codec, invalid_utf8, parser (with the JSON parser's keys), max_line_bytes and the
/// [multiline] table of an input's settings.
LineFormat parse_line_format(config::TomlReader& reader);
/// timestamp_field, timestamp_format and key_field, shared by the inputs that read JSON;
/// `lines_are_json` false: setting them is an error (an input without parser = "json").
JsonParserConfig parse_json_parser_config(config::TomlReader& reader, bool lines_are_json = true);

}  // namespace drover::inputs
