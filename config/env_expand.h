// ${VAR} and ${VAR:-default} in config strings; "$${" writes a literal "${".
#pragma once

#include "base/status.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace drover::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
std::optional<std::string> process_env(const std::string& name);

/// Errors name the variable: an unset ${VAR} without a default, or an unclosed "${".
Result<std::string> expand_env(std::string_view text, const EnvLookup& lookup = process_env);

}  // namespace drover::config
