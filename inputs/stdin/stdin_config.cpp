#include "inputs/stdin/stdin_config.h"

namespace drover::inputs {

StdinConfig parse_stdin_config(config::TomlReader& reader) {
  StdinConfig config;
  static_cast<LineFormat&>(config) = parse_line_format(reader);
  config.key_separator = reader.string("key_separator", "");
  config.missing_key = reader.one_of("missing_key", "error", {"error", "empty"}) == "empty"
                           ? MissingKey::kEmpty
                           : MissingKey::kError;
  if (config.key_separator.empty() && reader.has("missing_key")) {
    reader.error("missing_key", "needs key_separator: without one no line has a key");
  }
  if (!config.key_separator.empty() && !config.json.key_field.empty()) {
    reader.error("key_separator",
                 "set key_separator (the key before a separator) or key_field (a JSON field), "
                 "not both");
  }
  config.batch_bytes = reader.size("batch_bytes", config.batch_bytes, 1024);
  config.batch_timeout = reader.duration("batch_timeout", config.batch_timeout);
  config.drain_timeout = reader.duration("drain_timeout", config.drain_timeout);
  for (const auto& [key, value] : {std::pair{"batch_timeout", config.batch_timeout},
                                   std::pair{"drain_timeout", config.drain_timeout}}) {
    if (value.count() <= 0) reader.error(key, "must be greater than zero");
  }
  return config;
}

}  // namespace drover::inputs
