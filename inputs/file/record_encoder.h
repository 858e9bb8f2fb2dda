// Encodes lines of one file into a batch, once: the JSON envelope (@timestamp, host, input,
// path, offset, message) or the raw line. The per-file part of the envelope is escaped once
// when the file is opened, so per line only the message is escaped.
#pragma once

#include "agent/batch.h"
#include "inputs/file/file_input_config.h"
#include "inputs/file/line_splitter.h"

#include <cstdint>
#include <string>

namespace drover::inputs {

class RecordEncoder {
 public:
  RecordEncoder(Codec codec, const SourceInfo& source,
                InvalidUtf8 invalid_utf8 = InvalidUtf8::kReplace);

  /// Appends one record to `batch`; `timestamp` is the RFC 3339 read time shared by a read.
  /// Returns the number of invalid UTF-8 bytes replaced in the message.
  size_t encode(Batch& batch, const Line& line, std::string_view timestamp) const;

 private:
  Codec codec_;
  InvalidUtf8 invalid_utf8_;
  std::string after_timestamp_;  // ","host":"…","input":"…","path":"…","offset":
};

/// "2026-11-23T09:56:56.123Z"
std::string format_timestamp(int64_t unix_ms);

/// Wall-clock time in milliseconds since the epoch.
int64_t unix_ms_now();

}  // namespace drover::inputs
