// One journal entry as a record. JSON (the default): drover's envelope (@timestamp: the
// entry's realtime timestamp, host, input), "message" (MESSAGE, invalid UTF-8 replaced), then
// the entry's fields under their journal names: PRIORITY, _SYSTEMD_UNIT, _PID, _HOSTNAME and
// SYSLOG_IDENTIFIER, or with fields = "all" every field. A field that is not UTF-8 text is
// written as NAME_base64 (as dead letters write values), a field the entry has several times
// as an array. Raw: the MESSAGE bytes alone. Either way the record's Kafka timestamp is the
// entry's.
#pragma once

#include "agent/batch.h"
#include "inputs/journald/journal.h"
#include "inputs/journald/journald_config.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drover::inputs {

class JournalRecordEncoder {
 public:
  JournalRecordEncoder(const JournaldConfig& config, const SourceInfo& source);

  /// Appends the entry to `batch`; returns how many invalid UTF-8 bytes "message" replaced.
  size_t encode(Batch& batch, const JournalEntry& entry);

 private:
  void append_fields(std::string& out, const JournalEntry& entry);
  void append_field(std::string& out, std::string_view name,
                    const std::vector<std::string_view>& values);

  JournalFields fields_;
  JournalCodec codec_;
  std::string envelope_tail_;  // ","host":"…","input":"…"
  std::vector<std::pair<std::string_view, std::string_view>> sorted_;  // reused per entry
  std::vector<std::string_view> values_;                               // reused per field
};

}  // namespace drover::inputs
