#include "inputs/file/file_input_config.h"

namespace drover::inputs {

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
  static_cast<LineFormat&>(config) = parse_line_format(reader);
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
  config.batch_bytes = reader.size("batch_bytes", config.batch_bytes, 1024);
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
