#include "inputs/journald/journald_config.h"

#include <algorithm>

namespace drover::inputs {
namespace {

constexpr const char* kPriorities[] = {"emerg",   "alert",  "crit", "err",
                                       "warning", "notice", "info", "debug"};

// "warning", "err", ... or a number 0-7, as journalctl -p takes them.
int parse_priority(config::TomlReader& reader) {
  if (!reader.has("priority")) return 7;
  const std::string text = reader.string("priority", "debug");
  for (int p = 0; p < 8; ++p) {
    if (text == kPriorities[p] || text == std::to_string(p)) return p;
  }
  if (text == "error") return 3;
  if (text == "warn") return 4;
  reader.error("priority",
               "\"" + text +
                   "\" is not a syslog priority: use one of emerg, alert, crit, err, warning, "
                   "notice, info, debug, or 0-7 (entries up to it pass)");
  return 7;
}

bool valid_match(const std::string& match) {
  const auto equals = match.find('=');
  if (equals == std::string::npos || equals == 0) return false;
  return std::all_of(
      match.begin(), match.begin() + static_cast<std::ptrdiff_t>(equals),
      [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

JournaldConfig parse_journald_config(config::TomlReader& reader) {
  JournaldConfig config;
  config.directory = reader.string("directory", "");
  config.files = reader.string_list("files", {});
  if (!config.directory.empty() && !config.files.empty()) {
    reader.error("files",
                 "set directory (a folder of journal files) or files (the files themselves), "
                 "not both");
  }
  if (!config.directory.empty() && config.directory.front() != '/') {
    reader.error("directory", "must be an absolute path (\"" + config.directory + "\" is not)");
  }
  for (const auto& file : config.files) {
    if (file.empty() || file.front() != '/') {
      reader.error("files", "must be absolute paths (\"" + file + "\" is not)");
    }
  }
  config.start_at = reader.one_of("start_at", "end", {"end", "beginning"}) == "beginning"
                        ? JournalStartAt::kBeginning
                        : JournalStartAt::kEnd;
  config.units = reader.string_list("units", {});
  for (const auto& unit : config.units) {
    if (unit.empty() || unit.find('=') != std::string::npos) {
      reader.error("units", "\"" + unit + "\" is not a unit name such as \"ssh.service\"");
    }
  }
  config.max_priority = parse_priority(reader);
  config.matches = reader.string_list("matches", {});
  for (const auto& match : config.matches) {
    if (!valid_match(match)) {
      reader.error("matches", "\"" + match +
                                  "\" is not a journal match: FIELD=value, the field in capital "
                                  "letters, digits and _ (e.g. \"_SYSTEMD_UNIT=ssh.service\")");
    }
  }
  config.fields = reader.one_of("fields", "default", {"default", "all"}) == "all"
                      ? JournalFields::kAll
                      : JournalFields::kDefault;
  config.codec = reader.one_of("codec", "json", {"json", "raw"}) == "raw" ? JournalCodec::kRaw
                                                                          : JournalCodec::kJson;
  if (config.codec == JournalCodec::kRaw && reader.has("fields")) {
    reader.error("fields", "needs codec = \"json\": a raw record is the MESSAGE alone");
  }
  config.batch_bytes = reader.size("batch_bytes", config.batch_bytes, 1024);
  config.max_field_bytes = reader.size("max_field_bytes", config.max_field_bytes, 16);
  config.checkpoint_interval = reader.duration("checkpoint_interval", config.checkpoint_interval);
  if (config.checkpoint_interval.count() <= 0) {
    reader.error("checkpoint_interval", "must be greater than zero");
  }
  return config;
}

std::vector<std::string> journal_matches(const JournaldConfig& config) {
  std::vector<std::string> matches;
  for (const auto& unit : config.units) {
    // As journalctl -u: a name without a type is a service.
    const bool typed = unit.find('.') != std::string::npos;
    matches.push_back("_SYSTEMD_UNIT=" + unit + (typed ? "" : ".service"));
  }
  if (config.max_priority < 7) {
    for (int p = 0; p <= config.max_priority; ++p) {
      matches.push_back("PRIORITY=" + std::to_string(p));
    }
  }
  matches.insert(matches.end(), config.matches.begin(), config.matches.end());
  return matches;
}

}  // namespace drover::inputs
