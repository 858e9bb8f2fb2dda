// Plugin types by name. A plugin registers a parser: it reads the plugin's TOML table
// (pure: opens no file or socket) and returns a builder that makes the running instance.
// The built-in list is in inputs/builtin.cpp and outputs/builtin.cpp.
#pragma once

#include "agent/plugin.h"
#include "config/toml_reader.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace drover {

/// One thing `drover check --connect` looked at: "brokers", "topic logs", ...
struct ConnectCheck {
  std::string what;
  bool ok = false;
  std::string detail;
};

using InputBuilder = std::function<std::unique_ptr<Input>(const ComponentContext&)>;
using OutputBuilder = std::function<std::unique_ptr<Output>(const ComponentContext&)>;
/// Reaches what the output named `name` writes to, without building it; `host` is the agent's
/// host name.
using OutputProbe = std::function<std::vector<ConnectCheck>(
    const std::string& name, const std::string& host, std::chrono::milliseconds)>;
struct OutputFactory {
  OutputBuilder build;
  OutputProbe probe;  // may be empty: nothing to reach (stdout)
};
using InputParser = std::function<InputBuilder(config::TomlReader&)>;
using OutputParser = std::function<OutputFactory(config::TomlReader&)>;

class Registry {
 public:
  void add_input(const std::string& type, InputParser parser) { inputs_[type] = std::move(parser); }
  void add_output(const std::string& type, OutputParser parser) {
    outputs_[type] = std::move(parser);
  }
  const InputParser* input(const std::string& type) const { return find(inputs_, type); }
  const OutputParser* output(const std::string& type) const { return find(outputs_, type); }
  std::vector<std::string> input_types() const { return names(inputs_); }
  std::vector<std::string> output_types() const { return names(outputs_); }

 private:
  template <typename Map>
  static const typename Map::mapped_type* find(const Map& map, const std::string& type) {
    auto it = map.find(type);
    return it == map.end() ? nullptr : &it->second;
  }
  template <typename Map>
  static std::vector<std::string> names(const Map& map) {
    std::vector<std::string> out;
    for (const auto& [name, parser] : map) out.push_back(name);
    return out;
  }

  std::map<std::string, InputParser> inputs_;
  std::map<std::string, OutputParser> outputs_;
};

}  // namespace drover
