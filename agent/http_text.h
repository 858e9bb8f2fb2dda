// The two text helpers HTTP headers need, shared by the events input's request parser and the
// bearer-token check: ASCII case-insensitive equality (header names, the "Bearer" scheme) and
// trimming of blanks around a value.
#pragma once

#include <algorithm>
#include <string_view>

namespace drover {

inline bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

/// Without the spaces, tabs and carriage returns around it.
inline std::string_view trim_blanks(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace drover
