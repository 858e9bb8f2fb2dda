#include "inputs/common/line_format.h"

namespace drover::inputs {
namespace {

std::optional<MultilineConfig> parse_multiline(config::TomlReader& reader) {
  config::TomlReader* table = reader.table("multiline");
  if (table == nullptr) return std::nullopt;
  MultilineConfig multiline;
  multiline.start_pattern = table->string("start_pattern", "");
  multiline.continuation_pattern = table->string("continuation_pattern", "");
  multiline.flush_timeout = table->duration("flush_timeout", multiline.flush_timeout);
  multiline.max_lines = static_cast<uint64_t>(
      table->integer("max_lines", static_cast<int64_t>(multiline.max_lines), 1, 1 << 20));
  multiline.max_bytes = table->size("max_bytes", multiline.max_bytes, 16);
  if (multiline.start_pattern.empty() == multiline.continuation_pattern.empty()) {
    table->error("start_pattern",
                 "set exactly one of start_pattern (a matching line begins a record) and "
                 "continuation_pattern (a matching line continues the one before)");
  }
  const bool start = !multiline.start_pattern.empty();
  const std::string& pattern = start ? multiline.start_pattern : multiline.continuation_pattern;
  if (!pattern.empty()) {
    RE2 compiled(pattern, RE2::Quiet);
    if (!compiled.ok()) {
      table->error(start ? "start_pattern" : "continuation_pattern",
                   "is not a valid RE2 expression: " + compiled.error());
    }
  }
  if (multiline.flush_timeout.count() <= 0)
    table->error("flush_timeout", "must be greater than zero");
  return multiline;
}

}  // namespace

LineFormat parse_line_format(config::TomlReader& reader) {
  LineFormat format;
  format.codec =
      reader.one_of("codec", "json", {"json", "raw"}) == "raw" ? Codec::kRaw : Codec::kJson;
  const bool raw = format.codec == Codec::kRaw;
  format.invalid_utf8 =
      reader.one_of("invalid_utf8", raw ? "keep" : "replace", {"replace", "keep"}) == "keep"
          ? InvalidUtf8::kKeep
          : InvalidUtf8::kReplace;
  if (!raw && format.invalid_utf8 == InvalidUtf8::kKeep) {
    reader.error("invalid_utf8",
                 "\"keep\" needs codec = \"raw\": a JSON string cannot hold invalid UTF-8");
  }
  format.parser =
      reader.one_of("parser", "raw", {"raw", "json"}) == "json" ? Parser::kJson : Parser::kRaw;
  format.json = parse_json_parser_config(reader, format.parser == Parser::kJson);
  format.max_line_bytes = reader.size("max_line_bytes", format.max_line_bytes, 16);
  format.multiline = parse_multiline(reader);
  return format;
}

JsonParserConfig parse_json_parser_config(config::TomlReader& reader, bool lines_are_json) {
  JsonParserConfig json;
  json.timestamp_field = reader.string("timestamp_field", "");
  json.key_field = reader.string("key_field", "");
  static const std::pair<const char*, TimestampFormat> kFormats[] = {
      {"auto", TimestampFormat::kAuto},          {"rfc3339", TimestampFormat::kRfc3339},
      {"unix_s", TimestampFormat::kUnixSeconds}, {"unix_ms", TimestampFormat::kUnixMillis},
      {"unix_us", TimestampFormat::kUnixMicros}, {"unix_ns", TimestampFormat::kUnixNanos}};
  const std::string format = reader.one_of(
      "timestamp_format", "auto", {"auto", "rfc3339", "unix_s", "unix_ms", "unix_us", "unix_ns"});
  for (const auto& [name, value] : kFormats) {
    if (format == name) json.timestamp_format = value;
  }
  if (!lines_are_json) {
    for (const char* key : {"timestamp_field", "timestamp_format", "key_field"}) {
      if (reader.has(key)) reader.error(key, "needs parser = \"json\"");
    }
  }
  for (const auto& [key, field] : {std::pair{"timestamp_field", &json.timestamp_field},
                                   std::pair{"key_field", &json.key_field}}) {
    if (!field->empty() &&
        (field->front() == '.' || field->back() == '.' || field->find("..") != std::string::npos)) {
      reader.error(key, "\"" + *field + "\" has an empty name between its dots");
    }
  }
  return json;
}

}  // namespace drover::inputs
