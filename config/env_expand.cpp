#include "config/env_expand.h"

#include <fmt/format.h>

#include <cstdlib>

namespace drover::config {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at start-up
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<std::string> expand_env(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Error{fmt::format("unclosed '${{' at character {}", i + 1)};
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string_view> fallback;
    if (const size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = inner.substr(sep + 2);
      inner = inner.substr(0, sep);
    }
    if (inner.empty()) return Error{"empty variable name in '${}'"};
    const std::optional<std::string> value = lookup(std::string(inner));
    if (value && !value->empty()) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else if (value) {
      out += *value;  // set but empty, and no default: empty is what the operator asked for
    } else {
      return Error{
          fmt::format("environment variable {} is not set (write ${{{}:-default}} to "
                      "give a default)",
                      inner, inner)};
    }
    i = close + 1;
  }
  return out;
}

}  // namespace drover::config
