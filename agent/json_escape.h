// Appends text as the inside of a JSON string: quotes, backslashes and control characters
// escaped, valid UTF-8 kept, every invalid UTF-8 byte replaced by U+FFFD so the output is
// always valid JSON. Called per record on input threads: no allocation beyond `out` growing.
#pragma once

#include <string>
#include <string_view>

namespace drover {

/// Returns the number of invalid UTF-8 bytes that were replaced.
size_t append_json_escaped(std::string& out, std::string_view text);

/// Appends text unescaped, every invalid UTF-8 byte replaced by U+FFFD; returns how many were.
size_t append_utf8_replacing_invalid(std::string& out, std::string_view text);

/// The offset of the first byte that is not valid UTF-8, or text.size() when all of it is.
size_t first_invalid_utf8(std::string_view text);

}  // namespace drover
