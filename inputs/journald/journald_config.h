// Settings of one `type = "journald"` input, parsed without opening the journal.
#pragma once

#include "config/toml_reader.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace drover::inputs {

enum class JournalStartAt { kEnd, kBeginning };
enum class JournalFields { kDefault, kAll };
enum class JournalCodec { kJson, kRaw };  // raw: the MESSAGE alone

/// The fields a record has with fields = "default", in the order it has them.
inline constexpr const char* kDefaultJournalFields[] = {"PRIORITY", "_SYSTEMD_UNIT", "_PID",
                                                        "_HOSTNAME", "SYSLOG_IDENTIFIER"};

struct JournaldConfig {
  // Where the journal is: the local system's (empty and empty), a directory of journal files,
  // or the files themselves.
  std::string directory;
  std::vector<std::string> files;
  JournalStartAt start_at = JournalStartAt::kEnd;  // without a checkpoint
  // Journal matches ("FIELD=value"): different fields must all match, the same field any of
  // its values (sd-journal's rule). `units` and `priority` add _SYSTEMD_UNIT= and PRIORITY=.
  std::vector<std::string> units;    // "ssh" is ssh.service
  int max_priority = 7;              // 0 emerg ... 7 debug; entries up to this one pass
  std::vector<std::string> matches;  // as given
  JournalFields fields = JournalFields::kDefault;
  JournalCodec codec = JournalCodec::kJson;
  uint64_t batch_bytes = 1 << 20;  // encoded bytes per batch
  // A longer field (a core dump, a runaway message) is cut to this and counted: memory stays
  // bounded whatever the journal holds.
  uint64_t max_field_bytes = 1 << 20;
  std::chrono::milliseconds checkpoint_interval{1000};  // how often the cursor is saved
};

JournaldConfig parse_journald_config(config::TomlReader& reader);

/// The journal matches the settings make, in the order they are added.
std::vector<std::string> journal_matches(const JournaldConfig& config);

}  // namespace drover::inputs
