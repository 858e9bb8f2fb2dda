#include "agent/produce_command.h"

#include "agent/daemon.h"
#include "agent/pipeline_config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace drover {
namespace {

// A TOML basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

ParsedProduce parse_produce_arguments(const std::vector<std::string_view>& args) {
  ParsedProduce parsed;
  ProduceOptions& o = parsed.options;
  for (size_t i = 0; i < args.size() && parsed.error.empty(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    const auto flag_value = [&](std::string_view flag) {
      if (arg.starts_with(flag) && arg.size() > flag.size() && arg[flag.size()] == '=') {
        value = arg.substr(flag.size() + 1);
        return true;
      }
      if (arg != flag) return false;
      if (i + 1 == args.size()) {
        parsed.error = fmt::format("{} needs a value", flag);
        return true;
      }
      value = args[++i];
      return true;
    };
    if (arg == "--progress") {
      o.progress = true;
    } else if (flag_value("--brokers") || flag_value("--bootstrap-server")) {
      for (auto& broker : split_commas(value)) o.brokers.push_back(std::move(broker));
    } else if (flag_value("--topic")) {
      o.topic = value;
    } else if (flag_value("--key-separator")) {
      o.key_separator = value;
    } else if (flag_value("--missing-key")) {
      if (value != "error" && value != "empty") {
        parsed.error = "--missing-key is error (the default) or empty";
      }
      o.keyless_lines = value == "empty";
    } else if (flag_value("--codec")) {
      if (value != "raw" && value != "json") parsed.error = "--codec is raw (the default) or json";
      o.codec = value;
    } else if (flag_value("--timeout")) {
      o.timeout = value;
    } else {
      parsed.error = fmt::format("unexpected argument '{}'", arg);
    }
  }
  if (!parsed.error.empty()) return parsed;
  if (o.brokers.empty()) {
    parsed.error = "produce needs --brokers HOST:PORT[,HOST:PORT...]";
  } else if (o.topic.empty()) {
    parsed.error = "produce needs --topic TOPIC";
  } else if (o.keyless_lines && o.key_separator.empty()) {
    parsed.error = "--missing-key needs --key-separator";
  }
  return parsed;
}

std::string produce_config(const ProduceOptions& options, const std::string& data_dir) {
  std::string brokers;
  for (const auto& broker : options.brokers) {
    brokers += (brokers.empty() ? "" : ", ") + toml_string(broker);
  }
  std::string input = fmt::format("codec = {}\ndrain_timeout = {}\n", toml_string(options.codec),
                                  toml_string(options.timeout));
  if (!options.key_separator.empty()) {
    input +=
        fmt::format("key_separator = {}\nmissing_key = {}\n", toml_string(options.key_separator),
                    options.keyless_lines ? "\"empty\"" : "\"error\"");
  }
  // Memory only: a pipe cannot be read again, so a disk copy would outlive what it is for.
  // Errors only (a broker refusing connections): the input's summary says the rest, and the
  // stop's warnings about what is read again next start do not apply to a pipe. The input has
  // already waited for Kafka when drover stops.
  return fmt::format(R"([agent]
data_dir = {}
admin_address = ""
log_level = "error"
shutdown_timeout = "1s"

[inputs.stdin]
type = "stdin"
{}
[outputs.kafka]
type = "kafka"
inputs = ["stdin"]
brokers = [{}]
topic = {}
queue = {{ disk_bytes = 0 }}
)",
                     toml_string(data_dir), input, brokers, toml_string(options.topic));
}

int run_produce(const ProduceOptions& options, const Registry& registry) {
  std::string pattern = (std::filesystem::temp_directory_path() / "drover-produce-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "drover: cannot make a directory under %s\n",
                 std::filesystem::temp_directory_path().c_str());
    return 1;
  }
  // Removed however the run ends (a config error throws).
  struct RemovedAtEnd {
    std::string dir;
    ~RemovedAtEnd() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } data_dir{pattern};
  const std::string text = produce_config(options, data_dir.dir);
  return run_pipelines([&] { return parse_pipeline_config(text, "drover produce", registry); }, "",
                       options.progress);
}

}  // namespace drover
