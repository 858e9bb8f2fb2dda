#include "inputs/common/json_line.h"

#include <fmt/format.h>

namespace drover::inputs {

std::string json_pointer_of(std::string_view dotted) {
  std::string pointer;
  if (dotted.empty()) return pointer;
  pointer += '/';
  for (const char c : dotted) {
    if (c == '.') {
      pointer += '/';
    } else if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
  return pointer;
}

JsonLineParser::JsonLineParser(const JsonParserConfig& config)
    : config_(config),
      timestamp_pointer_(json_pointer_of(config.timestamp_field)),
      key_pointer_(json_pointer_of(config.key_field)) {}

const ParsedJsonLine& JsonLineParser::parse(std::string_view text, bool find_envelope_names) {
  parsed_ = ParsedJsonLine{};
  simdjson::dom::element root;
  // Copied into the parser's padded buffer (reused): the line's own bytes have no padding.
  if (const auto error = parser_.parse(text.data(), text.size()).get(root); error) {
    parsed_.error = simdjson::error_message(error);
    return parsed_;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    parsed_.error = fmt::format("a JSON {}, not an object", [&] {
      switch (root.type()) {
        case simdjson::dom::element_type::ARRAY:
          return "array";
        case simdjson::dom::element_type::STRING:
          return "string";
        case simdjson::dom::element_type::BOOL:
          return "boolean";
        case simdjson::dom::element_type::NULL_VALUE:
          return "null";
        default:
          return "number";
      }
    }());
    return parsed_;
  }
  parsed_.is_object = true;
  parsed_.open_brace = text.find('{');
  parsed_.empty_object = object.size() == 0;
  if (find_envelope_names) {
    for (const auto field : object) {
      for (unsigned i = 0; i < std::size(kEnvelopeFields); ++i) {
        if (field.key == kEnvelopeFields[i]) parsed_.envelope_names |= 1U << i;
      }
    }
  }
  if (!timestamp_pointer_.empty()) lift_timestamp(root);
  if (!key_pointer_.empty()) lift_key(root);
  return parsed_;
}

void JsonLineParser::lift_timestamp(simdjson::dom::element root) {
  simdjson::dom::element value;
  if (root.at_pointer(timestamp_pointer_).get(value) != simdjson::SUCCESS) {
    parsed_.timestamp_error = fmt::format("no field \"{}\"", config_.timestamp_field);
    return;
  }
  std::optional<int64_t> unix_ms;
  if (value.is_string()) {
    unix_ms = parse_event_time(value.get_string().value_unsafe(), config_.timestamp_format);
  } else if (value.is_number()) {
    unix_ms = event_time_from_number(value.get_double().value_unsafe(), config_.timestamp_format);
  }
  if (unix_ms) {
    parsed_.timestamp_ms = unix_ms;
  } else {
    parsed_.timestamp_error = fmt::format("\"{}\" is {}, not a timestamp", config_.timestamp_field,
                                          simdjson::minify(value).substr(0, 64));
  }
}

void JsonLineParser::lift_key(simdjson::dom::element root) {
  simdjson::dom::element value;
  if (root.at_pointer(key_pointer_).get(value) != simdjson::SUCCESS || value.is_null()) return;
  if (value.is_string()) {
    parsed_.key = value.get_string().value_unsafe();  // in the parser's buffers, like `root`
  } else {
    key_ = simdjson::minify(value);
    parsed_.key = key_;
  }
}

}  // namespace drover::inputs
