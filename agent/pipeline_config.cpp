#include "agent/pipeline_config.h"

#include "agent/bearer_auth.h"
#include "agent/json_escape.h"
#include "config/config_error.h"
#include "config/units.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <unistd.h>

namespace drover {
namespace {

using config::Diagnostics;
using config::TomlReader;

bool valid_component_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

AgentSettings parse_agent(TomlReader& root) {
  AgentSettings agent;
  agent.host = this_host_name();
  TomlReader* table = root.table("agent");
  if (table == nullptr) return agent;
  agent.data_dir = table->string("data_dir", agent.data_dir.string());
  agent.log_level = table->one_of("log_level", agent.log_level,
                                  {"trace", "debug", "info", "warn", "error", "critical", "off"});
  agent.log_format = table->one_of("log_format", agent.log_format, {"text", "json"});
  agent.shutdown_timeout = table->duration("shutdown_timeout", agent.shutdown_timeout);
  agent.host = table->string("host", agent.host);
  agent.admin_address = table->string("admin_address", agent.admin_address);
  agent.admin_token_file = table->string("admin_token_file", "");
  if (auto tokens =
          tokens_for_listener(agent.admin_address, agent.admin_token_file, "admin_token_file");
      !tokens) {
    table->error(agent.admin_token_file.empty() ? "admin_address" : "admin_token_file",
                 tokens.error().message);
  }
  return agent;
}

// Shared by [inputs] and [outputs]: every child is a table with a known `type`.
template <typename Parser, typename OnComponent>
TomlReader* parse_components(TomlReader& root, const std::string& section,
                             const std::vector<std::string>& known_types,
                             const std::function<const Parser*(const std::string&)>& find_parser,
                             OnComponent on_component,
                             std::set<std::string>* unknown_type_inputs = nullptr) {
  TomlReader* components = root.table(section);
  if (components == nullptr) return nullptr;
  for (const std::string& name : components->keys()) {
    TomlReader* table = components->table(name);
    if (table == nullptr) continue;
    if (!valid_component_name(name)) {
      table->error("type", "component names may use only letters, digits, '_' and '-'");
    }
    const std::string type = table->required_string("type");
    if (type.empty()) continue;
    const Parser* parser = find_parser(type);
    if (parser == nullptr) {
      table->error("type", fmt::format("unknown {} type '{}' (known: {})",
                                       section == "inputs" ? "input" : "output", type,
                                       fmt::join(known_types, ", ")));
      // Its references still count, so the only error is the one that matters.
      if (table->has("inputs") && unknown_type_inputs != nullptr) {
        for (auto& input : table->string_list("inputs", {})) unknown_type_inputs->insert(input);
      }
      for (const auto& key : table->keys()) table->mark_read(key);
      continue;
    }
    on_component(name, type, *table, *parser);
  }
  return components;
}

}  // namespace

std::string this_host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

void parse_queue(TomlReader& table, QueueOptions& queue) {
  queue.memory_bytes = table.size("memory_bytes", queue.memory_bytes, 64 << 10);
  queue.disk_bytes = table.size("disk_bytes", queue.disk_bytes);
  if (queue.disk_bytes != 0 && queue.disk_bytes < (1 << 20)) {
    table.error("disk_bytes", "must be 0 (no disk part) or at least 1MiB");
  }
  const std::string when_full =
      table.one_of("when_full", "block", {"block", "drop_newest", "drop_oldest"});
  queue.when_full = when_full == "drop_newest"   ? QueueOptions::WhenFull::kDropNewest
                    : when_full == "drop_oldest" ? QueueOptions::WhenFull::kDropOldest
                                                 : QueueOptions::WhenFull::kBlock;
  queue.spill_after = table.duration("spill_after", queue.spill_after);
  const std::string fsync = table.string("fsync", "every_batch");
  if (fsync == "every_batch") {
    queue.fsync = QueueOptions::Fsync::kEveryBatch;
  } else if (fsync == "never") {
    queue.fsync = QueueOptions::Fsync::kNever;
  } else if (auto interval = config::parse_duration(fsync); interval && interval->count() > 0) {
    queue.fsync = QueueOptions::Fsync::kInterval;
    queue.fsync_interval = *interval;
  } else {
    table.error("fsync", fmt::format("'{}': use \"every_batch\", \"never\", or an interval such "
                                     "as \"1s\"",
                                     fsync));
  }
}

PipelineConfig parse_pipeline_config(const std::string& text, const std::string& file_name,
                                     const Registry& registry) {
  // TOML is UTF-8, and toml11 3.7.1 reads out of bounds on an invalid byte inside a literal
  // string (found by the config fuzz target): it never sees one.
  if (const size_t bad = first_invalid_utf8(text); bad < text.size()) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(bad), '\n');
    throw ConfigError(
        {fmt::format("{}:{}: byte {} (0x{:02x}) is not UTF-8: a TOML file must be UTF-8 throughout",
                     file_name, line, bad, static_cast<unsigned char>(text[bad]))});
  }
  toml::value document;
  try {
    std::istringstream stream(text);
    document = toml::parse(stream, file_name);
  } catch (const toml::syntax_error& e) {
    throw ConfigError(
        {fmt::format("{}:{}: TOML syntax error:\n{}", file_name, e.location().line(), e.what())});
  } catch (const toml::exception& e) {
    // toml11 reports some malformed input as an internal error; it is still the file's fault.
    throw ConfigError(
        {fmt::format("{}:{}: TOML syntax error:\n{}", file_name, e.location().line(), e.what())});
  }

  Diagnostics diagnostics(file_name);
  TomlReader root(document, "", diagnostics);
  PipelineConfig config;
  config.agent = parse_agent(root);

  std::vector<std::pair<std::string, TomlReader*>> output_tables;
  std::set<std::string> used_inputs;
  TomlReader* inputs_table = parse_components<InputParser>(
      root, "inputs", registry.input_types(),
      [&](const std::string& type) { return registry.input(type); },
      [&](const std::string& name, const std::string& type, TomlReader& table,
          const InputParser& parser) {
        // Standard input is one stream: two inputs would each get some of its lines.
        const bool second_stdin =
            type == "stdin" && std::any_of(config.inputs.begin(), config.inputs.end(),
                                           [](const InputSpec& i) { return i.type == "stdin"; });
        if (second_stdin) {
          table.error("type", "a second stdin input: standard input is one stream, read by one");
        }
        config.inputs.push_back({name, type, parser(table), table.fingerprint()});
      });
  parse_components<OutputParser>(
      root, "outputs", registry.output_types(),
      [&](const std::string& type) { return registry.output(type); },
      [&](const std::string& name, const std::string& type, TomlReader& table,
          const OutputParser& parser) {
        OutputSpec spec{name,    type,    table.string_list("inputs", {}),        {},
                        nullptr, nullptr, table.fingerprint({"inputs", "queue"}), ""};
        if (!table.has("inputs")) table.error("inputs", "is required: name the inputs to read");
        if (TomlReader* queue = table.table("queue")) {
          parse_queue(*queue, spec.queue);
          spec.queue_settings = queue->fingerprint();
        }
        OutputFactory factory = parser(table);
        spec.build = std::move(factory.build);
        spec.probe = std::move(factory.probe);
        output_tables.emplace_back(name, &table);
        config.outputs.push_back(std::move(spec));
      },
      &used_inputs);

  std::set<std::string> input_names;
  for (const auto& input : config.inputs) input_names.insert(input.name);
  for (size_t i = 0; i < config.outputs.size(); ++i) {
    for (const auto& ref : config.outputs[i].inputs) {
      if (input_names.count(ref) == 0) {
        output_tables[i].second->error(
            "inputs",
            fmt::format(
                "'{}' is not a defined input (defined: {})", ref,
                input_names.empty() ? "none" : fmt::format("{}", fmt::join(input_names, ", "))));
      }
      used_inputs.insert(ref);
    }
  }
  for (const auto& input : config.inputs) {
    if (used_inputs.count(input.name) == 0) {
      inputs_table->error(input.name, "is not read by any output: add it to an output's `inputs`");
    }
  }
  // Only worth saying when nothing more specific was found (e.g. an unknown type).
  const bool other_problems = !diagnostics.empty();
  if (config.inputs.empty() && !other_problems) {
    diagnostics.add(1, "inputs", "no input is defined: add an [inputs.NAME] table");
  }
  if (config.outputs.empty() && !other_problems) {
    diagnostics.add(1, "outputs", "no output is defined: add an [outputs.NAME] table");
  }
  root.finish();
  if (!diagnostics.empty()) throw ConfigError(diagnostics.problems());
  config.warnings = diagnostics.warnings();
  return config;
}

PipelineConfig load_pipeline_config(const std::filesystem::path& path, const Registry& registry) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError(
        {fmt::format("{}: cannot read the config file: {}", path.string(), std::strerror(errno))});
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_pipeline_config(text.str(), path.string(), registry);
}

}  // namespace drover
