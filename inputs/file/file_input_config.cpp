#include "inputs/file/file_input_config.h"

namespace drover::inputs {

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

FileInputConfig parse_file_input_config(config::TomlReader& reader) {
  FileInputConfig config;
  config.include = reader.string_list("include", {});
  if (config.include.empty()) {
    reader.error("include", "is required: list at least one glob such as \"/var/log/app/*.log\"");
  }
  for (const auto& pattern : config.include) {
    if (pattern.empty() || pattern.front() != '/') {
      reader.error("include", "patterns must be absolute paths ('" + pattern + "' is not)");
    }
  }
  config.exclude = reader.string_list("exclude", {});
  config.start_at = reader.one_of("start_at", "beginning", {"beginning", "end"}) == "end"
                        ? StartAt::kEnd
                        : StartAt::kBeginning;
  config.codec =
      reader.one_of("codec", "json", {"json", "raw"}) == "raw" ? Codec::kRaw : Codec::kJson;
  const bool raw = config.codec == Codec::kRaw;
  config.invalid_utf8 =
      reader.one_of("invalid_utf8", raw ? "keep" : "replace", {"replace", "keep"}) == "keep"
          ? InvalidUtf8::kKeep
          : InvalidUtf8::kReplace;
  if (!raw && config.invalid_utf8 == InvalidUtf8::kKeep) {
    reader.error("invalid_utf8",
                 "\"keep\" needs codec = \"raw\": a JSON string cannot hold invalid UTF-8");
  }
  config.parser =
      reader.one_of("parser", "raw", {"raw", "json"}) == "json" ? Parser::kJson : Parser::kRaw;
  config.json = parse_json_parser_config(reader, config.parser == Parser::kJson);
  config.use_inotify = reader.boolean("use_inotify", config.use_inotify);
  config.poll_interval = reader.duration("poll_interval", config.poll_interval);
  config.rescan_interval = reader.duration("rescan_interval", config.rescan_interval);
  config.checkpoint_interval = reader.duration("checkpoint_interval", config.checkpoint_interval);
  config.ignore_older = reader.duration("ignore_older", config.ignore_older);
  config.rotate_wait = reader.duration("rotate_wait", config.rotate_wait);
  config.close_idle_after = reader.duration("close_idle_after", config.close_idle_after);
  config.max_open_files = static_cast<uint64_t>(
      reader.integer("max_open_files", static_cast<int64_t>(config.max_open_files), 1, 1 << 20));
  config.partial_line_timeout =
      reader.duration("partial_line_timeout", config.partial_line_timeout);
  config.checkpoint_retention =
      reader.duration("checkpoint_retention", config.checkpoint_retention);
  config.max_line_bytes = reader.size("max_line_bytes", config.max_line_bytes, 16);
  config.batch_bytes = reader.size("batch_bytes", config.batch_bytes, 1024);
  if (config::TomlReader* table = reader.table("multiline")) {
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
    config.multiline = multiline;
  }
  // On the parsed values: reading a key again would report its parse error twice.
  const std::pair<const char*, std::chrono::milliseconds> positive[] = {
      {"poll_interval", config.poll_interval},
      {"rescan_interval", config.rescan_interval},
      {"rotate_wait", config.rotate_wait},
      {"close_idle_after", config.close_idle_after},
      {"partial_line_timeout", config.partial_line_timeout},
      {"checkpoint_retention", config.checkpoint_retention}};
  for (const auto& [key, value] : positive) {
    if (value.count() <= 0) reader.error(key, "must be greater than zero");
  }
  return config;
}

}  // namespace drover::inputs
