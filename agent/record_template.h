// A string with {field} placeholders, used for topic names, keys and header values. Fields:
// {input}, {host}, {path} from the batch's source, and {json.a.b} from the record itself when it
// is a JSON object. Any placeholder may name a fallback for when its value is missing or empty:
// {json.service|unknown}. Parsed once from the config; a template without {json.*} renders the
// same for a whole batch, so callers render it once per batch.
#pragma once

#include "agent/batch.h"
#include "base/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace drover {

class RecordTemplate {
 public:
  /// Errors name the unknown field, the empty JSON path or the unclosed brace.
  static Result<RecordTemplate> parse(std::string_view text);

  /// `record` is the record's bytes; needed only when depends_on_record().
  std::string render(const SourceInfo& source, std::string_view record = {}) const;
  bool empty() const { return parts_.empty(); }
  /// True when the rendering is the same for every record (no placeholder).
  bool is_constant() const;
  /// True when some placeholder reads the record ({json.*}): render once per record.
  bool depends_on_record() const;
  /// True when every {json.*} placeholder has a fallback, so the rendering is never left empty
  /// by a record that lacks the field.
  bool json_fields_have_fallbacks() const;

 private:
  enum class Field { kLiteral, kInput, kHost, kPath, kJson };
  struct Part {
    Field field;
    std::string literal;   // the text, or the JSON pointer ("/a/b") of a kJson field
    std::string fallback;  // used when the field's value is missing or empty
  };
  std::vector<Part> parts_;
};

}  // namespace drover
