#include "agent/source_template.h"

#include <fmt/format.h>

namespace drover {

Result<SourceTemplate> SourceTemplate::parse(std::string_view text) {
  SourceTemplate tmpl;
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
    const std::string_view name = text.substr(i + 1, close - i - 1);
    Field field;
    if (name == "input") {
      field = Field::kInput;
    } else if (name == "host") {
      field = Field::kHost;
    } else if (name == "path") {
      field = Field::kPath;
    } else {
      return Error{fmt::format("'{}': unknown field {{{}}} (known: {{input}}, {{host}}, {{path}})",
                               text, name)};
    }
    if (!literal.empty()) tmpl.parts_.push_back({Field::kLiteral, std::move(literal)});
    literal.clear();
    tmpl.parts_.push_back({field, {}});
    i = close + 1;
  }
  if (!literal.empty()) tmpl.parts_.push_back({Field::kLiteral, std::move(literal)});
  return tmpl;
}

std::string SourceTemplate::render(const SourceInfo& source) const {
  std::string out;
  for (const Part& part : parts_) {
    switch (part.field) {
      case Field::kLiteral:
        out += part.literal;
        break;
      case Field::kInput:
        out += source.input;
        break;
      case Field::kHost:
        out += source.host;
        break;
      case Field::kPath:
        out += source.path;
        break;
    }
  }
  return out;
}

bool SourceTemplate::is_constant() const {
  for (const Part& part : parts_) {
    if (part.field != Field::kLiteral) return false;
  }
  return true;
}

}  // namespace drover
