// A component's settings parsed from TOML text as drover.toml would hold them under `table`:
// the problems its parser reported (every one, "drover.toml:LINE: TABLE.KEY: ..."), and what it
// parsed.
#pragma once

#include "config/toml_reader.h"

#include <sstream>
#include <string>
#include <vector>

namespace drover::testing {

template <typename Config>
struct ParsedTable {
  Config config;
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
};

/// `parse`: the component's parser, e.g. inputs::parse_journald_config.
template <typename Parse>
auto parse_table(const std::string& text, const std::string& table, Parse parse) {
  std::istringstream in(text);
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, table, diagnostics);
  using Config = decltype(parse(reader));
  ParsedTable<Config> parsed{parse(reader), {}, {}};
  reader.finish();
  parsed.problems = diagnostics.problems();
  parsed.warnings = diagnostics.warnings();
  return parsed;
}

}  // namespace drover::testing
