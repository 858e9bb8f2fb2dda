// drover's one log format, for its own lines and for those of the libraries it embeds
// (librdkafka's reach it through a callback): `text` for people, `json` (one object per line)
// for log pipelines. Set up by main() before any thread exists; lines come from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drover {

enum class LogFormat { kText, kJson };

/// Makes the default logger write to stderr at `level` in `format`. Called again (a reload),
/// it changes level and format of every logger in place.
void setup_logging(const std::string& level, LogFormat format);

/// A logger for lines that come from a library rather than from drover's own code: its name
/// is the `component` of a JSON line. Shares the default logger's sink, format and level.
std::shared_ptr<spdlog::logger> component_logger(const std::string& component);

using LogFields = std::vector<std::pair<std::string_view, std::string_view>>;

/// Attaches fields to the lines this thread logs while it lives: JSON lines carry them as
/// members, text lines name them before the message ("output kafka: librdkafka FAIL: ...").
class ScopedLogFields {
 public:
  /// `text_prefix` is what text lines show instead of the fields.
  ScopedLogFields(const LogFields& fields, std::string_view text_prefix);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  const LogFields* previous_fields_;
  std::string_view previous_prefix_;
};

}  // namespace drover
