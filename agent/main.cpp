// drover's entry point: parses the command line and runs the command — the daemon (`run`), or
// one of the tools around it.
#include "agent/allocator.h"
#include "agent/connect_check.h"
#include "agent/control_commands.h"
#include "agent/daemon.h"
#include "agent/logging.h"
#include "agent/produce_command.h"
#include "agent/queue/queue_verify.h"
#include "agent/security_warnings.h"
#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kDefaultConfig = "/etc/drover/drover.toml";
constexpr int kExitFailure = 1;
constexpr int kExitUsageOrConfig = 2;

constexpr std::string_view kUsage =
    R"(drover — ships logs, metrics and events to Apache Kafka without losing them

Usage:
  drover run    [--config FILE]  run the pipelines until SIGTERM or SIGINT; SIGHUP reloads FILE
  drover check  [--config FILE] [--connect]
                                 validate the config and list every problem; with --connect,
                                 also check that data_dir is writable, that the brokers answer
                                 and that each fixed topic exists or can be created
  drover status [--config FILE] [--admin ADDR] [--json]
                                 what the running drover is doing (its /status), as a table or
                                 as JSON; ADDR defaults to the one in <data_dir>/admin.address
  drover reload [--config FILE]  validate FILE, send SIGHUP to the running drover (pid in
                                 <data_dir>/drover.pid) and print the reload's result
  drover queue verify [--repair] DIR
                                 check an output's disk queue (<data_dir>/queue/<output>) and
                                 report what is pending and what is damaged; exit 1 if damaged.
                                 --repair does what drover does at start: cuts torn writes,
                                 skips damaged batches, sets aside unreadable segments
  drover produce --brokers HOST:PORT[,...] --topic TOPIC [--key-separator SEP]
                 [--missing-key error|empty] [--codec raw|json] [--timeout 30s] [--progress]
                                 the console producer: standard input's lines to TOPIC, keyed
                                 by the text before SEP; waits for Kafka's acks at the end of
                                 input, prints a summary and exits 0, or 1 if anything was
                                 not delivered within --timeout (or a line had no SEP)
  drover --version
  drover --help

FILE defaults to /etc/drover/drover.toml.

Exit codes:
  0  success
  1  a runtime failure: a check --connect or reload that failed, a drover that cannot be
     reached, a damaged queue, records produce (or a stdin input) could not deliver
  2  an invalid config or command line (every problem is listed)
)";

struct CommandLine {
  std::string command;
  std::string config = std::string(kDefaultConfig);
  std::string queue_dir;  // queue verify
  bool repair = false;    // queue verify
  bool connect = false;   // check
  std::string admin;      // status
  bool json = false;      // status
  std::string error;
};

/// `queue verify [--repair] DIR`
CommandLine parse_queue_command(const std::vector<std::string_view>& args) {
  CommandLine cl;
  cl.command = "queue verify";
  if (args.size() < 2 || args[1] != "verify") {
    cl.error = "the queue command is `drover queue verify [--repair] DIR`";
    return cl;
  }
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--repair") {
      cl.repair = true;
    } else if (cl.queue_dir.empty() && !args[i].starts_with("-")) {
      cl.queue_dir = args[i];
    } else {
      cl.error = fmt::format("unexpected argument '{}'", args[i]);
      return cl;
    }
  }
  if (cl.queue_dir.empty()) cl.error = "queue verify needs the queue's directory";
  return cl;
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "queue") return parse_queue_command(args);
  const auto value_of = [&](size_t& i, std::string_view flag, std::string& into) {
    if (args[i].starts_with(fmt::format("{}=", flag))) {
      into = args[i].substr(flag.size() + 1);
      return true;
    }
    if (args[i] != flag) return false;
    if (i + 1 == args.size()) {
      cl.error = fmt::format("{} needs a value", flag);
    } else {
      into = args[++i];
    }
    return true;
  };
  for (size_t i = 0; i < args.size() && cl.error.empty(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--version" || arg == "-V") {
      cl.command = arg == "-h" ? "--help" : arg == "-V" ? "--version" : std::string(arg);
      return cl;
    }
    if (value_of(i, "--config", cl.config) || value_of(i, "-c", cl.config)) {
      continue;
    }
    if (cl.command.empty() &&
        (arg == "run" || arg == "check" || arg == "status" || arg == "reload")) {
      cl.command = arg;
    } else if (cl.command == "check" && arg == "--connect") {
      cl.connect = true;
    } else if (cl.command == "status" && arg == "--json") {
      cl.json = true;
    } else if (cl.command != "status" || !value_of(i, "--admin", cl.admin)) {
      cl.error = fmt::format("unexpected argument '{}'", arg);
    }
  }
  if (cl.error.empty() && cl.command.empty()) cl.error = "no command given";
  return cl;
}

drover::Registry builtin_registry() {
  drover::Registry registry;
  drover::inputs::register_builtin_inputs(registry);
  drover::outputs::register_builtin_outputs(registry);
  return registry;
}

void print_config_errors(const drover::ConfigError& e) {
  std::fprintf(stderr, "drover: the configuration has %zu problem(s):\n", e.problems().size());
  for (const auto& problem : e.problems()) std::fprintf(stderr, "  %s\n", problem.c_str());
}

int status_command(const CommandLine& cl) {
  // The config says where the running drover listens and which token it takes; without one,
  // its default address.
  std::optional<drover::AgentSettings> settings;
  try {
    settings = drover::load_pipeline_config(cl.config, builtin_registry()).agent;
  } catch (const drover::ConfigError&) {
    if (cl.admin.empty()) {
      std::fprintf(stderr, "drover: %s has problems (`drover check`); asking %s\n",
                   cl.config.c_str(), drover::AgentSettings{}.admin_address.c_str());
    }
  }
  std::string admin = cl.admin;
  if (admin.empty()) {
    admin = settings ? drover::admin_address_of(*settings) : drover::AgentSettings{}.admin_address;
  }
  if (admin.empty()) {
    std::fprintf(stderr, "drover: the admin endpoint is off (admin_address = \"\")\n");
    return kExitFailure;
  }
  return drover::run_status_command(admin, settings ? drover::admin_token_of(*settings) : "",
                                    cl.json, stdout);
}

int produce_command(const std::vector<std::string_view>& args) {
  const drover::ParsedProduce parsed = drover::parse_produce_arguments(args);
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "drover: %s\n\n%s", parsed.error.c_str(), kUsage.data());
    return kExitUsageOrConfig;
  }
  try {
    return drover::run_produce(parsed.options, builtin_registry());
  } catch (const drover::ConfigError& e) {
    print_config_errors(e);
    return kExitUsageOrConfig;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "produce") {
    return produce_command(std::vector<std::string_view>(argv + 2, argv + argc));
  }
  const CommandLine cl = parse_command_line(argc, argv);
  if (!cl.error.empty()) {
    std::fprintf(stderr, "drover: %s\n\n%s", cl.error.c_str(), kUsage.data());
    return kExitUsageOrConfig;
  }
  if (cl.command == "--help") {
    std::fputs(kUsage.data(), stdout);
    return 0;
  }
  if (cl.command == "--version") {
    std::printf("drover %s (allocator: %s)\n", DROVER_VERSION, drover::allocator_in_use().c_str());
    return 0;
  }
  if (cl.command == "queue verify") return drover::verify_queue(cl.queue_dir, cl.repair, stdout);
  if (cl.command == "status") return status_command(cl);
  try {
    const drover::Registry registry = builtin_registry();
    if (cl.command == "check") {
      const drover::PipelineConfig config = drover::load_pipeline_config(cl.config, registry);
      std::printf("%s: configuration is valid\n", cl.config.c_str());
      for (const auto& warning : drover::security_warnings(cl.config, config.agent.data_dir)) {
        std::printf("warning: %s\n", warning.c_str());
      }
      for (const auto& warning : config.warnings) std::printf("warning: %s\n", warning.c_str());
      if (!cl.connect) return 0;
      // librdkafka's complaints (a broker refusing connections) in drover's format, on stderr.
      drover::setup_logging("warn", drover::LogFormat::kText);
      return drover::check_connections(config, stdout) ? 0 : kExitFailure;
    }
    if (cl.command == "reload") {
      return drover::run_reload_command(drover::load_pipeline_config(cl.config, registry).agent,
                                        stdout);
    }
    return drover::run_daemon(cl.config, registry);
  } catch (const drover::ConfigError& e) {
    print_config_errors(e);
    return kExitUsageOrConfig;
  }
}
