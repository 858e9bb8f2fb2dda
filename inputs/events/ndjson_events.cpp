#include "inputs/events/ndjson_events.h"

#include <fmt/format.h>

#include <cstring>

namespace drover::inputs {
namespace {

constexpr size_t kErrorsReported = 5;

}  // namespace

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

NdjsonOutcome encode_ndjson(std::string_view text, uint64_t first_position, size_t first_line,
                            Batch& batch, const RecordEncoder& encoder, JsonLineParser& parser,
                            std::string_view timestamp) {
  NdjsonOutcome outcome;
  size_t start = 0;
  size_t line_number = first_line;
  while (start < text.size()) {
    const void* newline = std::memchr(text.data() + start, '\n', text.size() - start);
    const size_t end = newline != nullptr
                           ? static_cast<size_t>(static_cast<const char*>(newline) - text.data())
                           : text.size();
    std::string_view content = text.substr(start, end - start);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (!is_blank(content)) {
      const Line line{content, first_position + start, first_position + end + 1, false};
      const auto encoded = encoder.encode(batch, line, timestamp, &parser);
      ++outcome.events;
      if (encoded.json != nullptr && !encoded.json->is_object) {
        ++outcome.invalid;
        if (outcome.first_errors.size() < kErrorsReported) {
          const size_t first = content.find_first_not_of(" \t");
          outcome.first_errors.push_back(
              fmt::format("line {} (byte {}): {}{}", line_number, start, encoded.json->error,
                          first != std::string_view::npos && content[first] == '['
                              ? " (send one JSON object per line, not an array)"
                              : ""));
        }
      }
    }
    ++line_number;
    start = end + 1;
  }
  return outcome;
}

}  // namespace drover::inputs
