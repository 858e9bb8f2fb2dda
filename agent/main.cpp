// drover's entry point: parses the command line, loads the config, and owns signals and the
// orderly start and stop of the agent.
#include "agent/agent.h"
#include "agent/allocator.h"
#include "agent/queue/queue_verify.h"
#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <signal.h>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kDefaultConfig = "/etc/drover/drover.toml";
constexpr int kExitConfigError = 2;

constexpr std::string_view kUsage =
    R"(drover — ships logs, metrics and events to Apache Kafka without losing them

Usage:
  drover run   [--config FILE]   run the pipelines until SIGTERM or SIGINT
  drover check [--config FILE]   validate the config; exit 0 if valid, 2 listing every problem
  drover queue verify [--repair] DIR
                                 check an output's disk queue (<data_dir>/queue/<output>) and
                                 report what is pending and what is damaged; exit 1 if damaged.
                                 --repair does what drover does at start: cuts torn writes,
                                 skips damaged batches, sets aside unreadable segments
  drover --version
  drover --help

FILE defaults to /etc/drover/drover.toml.
)";

struct CommandLine {
  std::string command;
  std::string config = std::string(kDefaultConfig);
  std::string queue_dir;  // queue verify
  bool repair = false;
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
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--version" || arg == "-V") {
      cl.command = arg == "-h" ? "--help" : arg == "-V" ? "--version" : std::string(arg);
      return cl;
    }
    if (arg == "--config" || arg == "-c") {
      if (i + 1 == args.size()) {
        cl.error = "--config needs a file name";
        return cl;
      }
      cl.config = args[++i];
    } else if (arg.starts_with("--config=")) {
      cl.config = arg.substr(9);
    } else if (cl.command.empty() && (arg == "run" || arg == "check")) {
      cl.command = arg;
    } else {
      cl.error = fmt::format("unexpected argument '{}'", arg);
      return cl;
    }
  }
  if (cl.command.empty()) cl.error = "no command given";
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

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("drover");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

int run(const std::string& config_path) {
  // Block the stop signals before any thread exists so every thread inherits the mask and
  // only this thread receives them, through sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  drover::PipelineConfig config = drover::load_pipeline_config(config_path, builtin_registry());
  setup_logging(config.agent.log_level);
  drover::Agent agent(std::move(config));
  agent.start();
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}", received == SIGTERM ? "SIGTERM" : "SIGINT");
  agent.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const CommandLine cl = parse_command_line(argc, argv);
  if (!cl.error.empty()) {
    std::fprintf(stderr, "drover: %s\n\n%s", cl.error.c_str(), kUsage.data());
    return kExitConfigError;
  }
  if (cl.command == "--help") {
    std::fputs(kUsage.data(), stdout);
    return 0;
  }
  if (cl.command == "--version") {
    std::printf("drover %s (allocator: %s)\n", DROVER_VERSION, drover::allocator_in_use().c_str());
    return 0;
  }
  if (cl.command == "queue verify") {
    return drover::verify_queue(cl.queue_dir, cl.repair, stdout);
  }
  try {
    if (cl.command == "check") {
      drover::load_pipeline_config(cl.config, builtin_registry());
      std::printf("%s: configuration is valid\n", cl.config.c_str());
      return 0;
    }
    return run(cl.config);
  } catch (const drover::ConfigError& e) {
    print_config_errors(e);
    return kExitConfigError;
  }
}
