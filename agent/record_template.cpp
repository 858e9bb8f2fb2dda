#include "agent/record_template.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

namespace drover {
namespace {

/// "a.b" → the JSON pointer "/a/b", with '~' and '/' in names escaped (RFC 6901).
std::string json_pointer(std::string_view dotted) {
  std::string pointer;
  size_t start = 0;
  while (start <= dotted.size()) {
    const size_t dot = std::min(dotted.find('.', start), dotted.size());
    pointer += '/';
    for (const char c : dotted.substr(start, dot - start)) {
      if (c == '~') {
        pointer += "~0";
      } else if (c == '/') {
        pointer += "~1";
      } else {
        pointer += c;
      }
    }
    start = dot + 1;
  }
  return pointer;
}

/// The record's value at `pointer` as text: a string's content, a number's or boolean's JSON
/// text. Objects, arrays, null, a missing field or a record that is not JSON give "".
void append_json_field(std::string_view record, const std::string& pointer, std::string& out) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse a padded copy.
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;
  padded.assign(record);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  if (parser.iterate(padded.data(), record.size(), padded.size()).get(doc)) return;
  simdjson::ondemand::value value;
  if (doc.at_pointer(pointer).get(value)) return;
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view text;
      if (!value.get_string().get(text)) out += text;
      return;
    }
    case simdjson::ondemand::json_type::number:
    case simdjson::ondemand::json_type::boolean: {
      std::string_view token = value.raw_json_token();
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      out += token;
      return;
    }
    default:
      return;
  }
}

}  // namespace

Result<RecordTemplate> RecordTemplate::parse(std::string_view text) {
  RecordTemplate tmpl;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '{') {
      literal += text[i++];
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      return Error{fmt::format("'{}': unclosed '{{' at character {}", text, i + 1)};
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    std::string fallback;
    if (const size_t bar = name.find('|'); bar != std::string_view::npos) {
      fallback = name.substr(bar + 1);
      name = name.substr(0, bar);
    }
    Part part{Field::kLiteral, {}, std::move(fallback)};
    if (name == "input") {
      part.field = Field::kInput;
    } else if (name == "host") {
      part.field = Field::kHost;
    } else if (name == "path") {
      part.field = Field::kPath;
    } else if (name.starts_with("json.") && name.size() > 5) {
      part.field = Field::kJson;
      part.literal = json_pointer(name.substr(5));
    } else {
      return Error{fmt::format(
          "'{}': unknown field {{{}}} (known: {{input}}, {{host}}, {{path}}, {{json.FIELD}}, "
          "each with an optional fallback such as {{json.service|unknown}})",
          text, name)};
    }
    if (!literal.empty()) tmpl.parts_.push_back({Field::kLiteral, std::move(literal), {}});
    literal.clear();
    tmpl.parts_.push_back(std::move(part));
    i = close + 1;
  }
  if (!literal.empty()) tmpl.parts_.push_back({Field::kLiteral, std::move(literal), {}});
  return tmpl;
}

std::string RecordTemplate::render(const SourceInfo& source, std::string_view record) const {
  std::string out;
  for (const Part& part : parts_) {
    const size_t before = out.size();
    switch (part.field) {
      case Field::kLiteral:
        out += part.literal;
        continue;
      case Field::kInput:
        out += source.input;
        break;
      case Field::kHost:
        out += source.host;
        break;
      case Field::kPath:
        out += source.path;
        break;
      case Field::kJson:
        append_json_field(record, part.literal, out);
        break;
    }
    if (out.size() == before) out += part.fallback;
  }
  return out;
}

bool RecordTemplate::is_constant() const {
  return std::all_of(parts_.begin(), parts_.end(),
                     [](const Part& part) { return part.field == Field::kLiteral; });
}

bool RecordTemplate::depends_on_record() const {
  return std::any_of(parts_.begin(), parts_.end(),
                     [](const Part& part) { return part.field == Field::kJson; });
}

bool RecordTemplate::json_fields_have_fallbacks() const {
  return std::all_of(parts_.begin(), parts_.end(), [](const Part& part) {
    return part.field != Field::kJson || !part.fallback.empty();
  });
}

}  // namespace drover
