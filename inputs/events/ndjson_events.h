// Events as NDJSON: one JSON object per line, each validated once (simdjson) and encoded into
// the batch by the input's RecordEncoder. Blank lines are skipped. Shared by HTTP bodies and
// Unix socket streams; what happens to a line that is not an object is the caller's choice.
#pragma once

#include "agent/batch.h"
#include "inputs/common/json_line.h"
#include "inputs/common/record_encoder.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drover::inputs {

struct NdjsonOutcome {
  size_t events = 0;   // records added to the batch
  size_t invalid = 0;  // lines that are not a JSON object (added as text records)
  std::vector<std::string> first_errors;  // "line 3 (byte 120): <why>", a few at most
};

/// Adds a record per non-blank line of `text` to `batch`; `first_position` is the position of
/// text's first byte in its connection, `first_line` the number of its first line.
NdjsonOutcome encode_ndjson(std::string_view text, uint64_t first_position, size_t first_line,
                            Batch& batch, const RecordEncoder& encoder, JsonLineParser& parser,
                            std::string_view timestamp);

bool is_blank(std::string_view line);

}  // namespace drover::inputs
