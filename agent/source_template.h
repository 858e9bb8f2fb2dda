// A string with {field} placeholders over a batch's source (topic and key names):
// {input}, {host}, {path}. Parsed once from the config, rendered once per batch.
#pragma once

#include "agent/batch.h"
#include "agent/status.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

class SourceTemplate {
 public:
  /// Errors name the unknown field or the unclosed brace.
  static Result<SourceTemplate> parse(std::string_view text);

  std::string render(const SourceInfo& source) const;
  bool empty() const { return parts_.empty(); }
  /// True when the rendering is the same for every batch (no placeholder).
  bool is_constant() const;

 private:
  enum class Field { kLiteral, kInput, kHost, kPath };
  struct Part {
    Field field;
    std::string literal;
  };
  std::vector<Part> parts_;
};

}  // namespace drover
