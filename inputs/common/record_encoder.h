// Encodes lines of one source (a file, a stream) into a batch, once: the JSON envelope
// (@timestamp, host, input, path, offset, message) or the raw line. The per-source part of the
// envelope is escaped once when the source is opened, so per line only the message is escaped. With
// the JSON parser, a line that is a JSON object keeps its members and gains the envelope's (those
// it does not have already) instead of being escaped into "message"; its lifted time and key go
// with it.
#pragma once

#include "agent/batch.h"
#include "inputs/common/json_line.h"
#include "inputs/common/line_format.h"
#include "inputs/common/line_splitter.h"

#include <cstdint>
#include <string>

namespace drover::inputs {

class RecordEncoder {
 public:
  /// `with_origin`: the envelope has the source's path and the record's offset in it (a
  /// file's lines); without, only @timestamp, host and input (events sent to drover).
  RecordEncoder(Codec codec, const SourceInfo& source,
                InvalidUtf8 invalid_utf8 = InvalidUtf8::kReplace, bool with_origin = true);

  struct Outcome {
    size_t replaced_utf8_bytes = 0;        // invalid UTF-8 bytes replaced in the message
    const ParsedJsonLine* json = nullptr;  // what the JSON parser found, when there is one
  };
  /// Appends one record to `batch`; `timestamp` is the RFC 3339 read time shared by a read.
  /// `json`: the input's parser, when lines are JSON.
  Outcome encode(Batch& batch, const Line& line, std::string_view timestamp,
                 JsonLineParser* json = nullptr) const;

 private:
  size_t encode_text(Batch& batch, const Line& line, std::string_view timestamp,
                     const ParsedJsonLine* failed_json) const;
  void encode_object(Batch& batch, const Line& line, std::string_view timestamp,
                     const ParsedJsonLine& json) const;

  Codec codec_;
  InvalidUtf8 invalid_utf8_;
  bool with_origin_;
  std::string after_timestamp_;   // ","host":"…","input":"…","path":"…","offset":
  std::string source_fields_[3];  // "host":"…", "input":"…", "path":"…"
};

/// "2026-11-23T09:56:56.123Z"
std::string format_timestamp(int64_t unix_ms);
void append_timestamp(std::string& out, int64_t unix_ms);

/// Wall-clock time in milliseconds since the epoch.
int64_t unix_ms_now();

}  // namespace drover::inputs
