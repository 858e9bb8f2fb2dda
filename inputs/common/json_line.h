// Reads a line (or a joined multiline record) as one JSON object with simdjson, validating all
// of it, and lifts the fields the input names: the event's time and the record's Kafka key.
// A line that is not a JSON object is reported, never dropped: the encoder ships it as text.
// One per reading thread (the parser's buffers are reused from line to line).
#pragma once

#include "inputs/common/line_format.h"

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::inputs {

/// The names drover's JSON envelope adds, in the order it writes them.
inline constexpr std::string_view kEnvelopeFields[] = {"@timestamp", "host", "input", "path",
                                                       "offset"};

struct ParsedJsonLine {
  bool is_object = false;
  std::string error;            // why it is not (simdjson's words, or what it is instead)
  size_t open_brace = 0;        // where the object starts in the text
  bool empty_object = false;    // "{}": the envelope's fields are not followed by a comma
  unsigned envelope_names = 0;  // bit i: the object has a member named kEnvelopeFields[i]
  std::optional<int64_t> timestamp_ms;
  std::string timestamp_error;          // the timestamp field is named but missing or unreadable
  std::optional<std::string_view> key;  // valid until the next parse
};

class JsonLineParser {
 public:
  explicit JsonLineParser(const JsonParserConfig& config);

  /// `find_envelope_names`: report which of kEnvelopeFields the object already has.
  const ParsedJsonLine& parse(std::string_view text, bool find_envelope_names);

 private:
  void lift_timestamp(simdjson::dom::element root);
  void lift_key(simdjson::dom::element root);

  JsonParserConfig config_;
  std::string timestamp_pointer_;  // RFC 6901, from the dotted field name
  std::string key_pointer_;
  simdjson::dom::parser parser_;
  std::string key_;
  ParsedJsonLine parsed_;
};

/// "a.b" as the JSON pointer "/a/b" ('~' and '/' in names escaped).
std::string json_pointer_of(std::string_view dotted);

}  // namespace drover::inputs
