// drover's entry point: parses the command line, loads the config, and owns signals and the
// orderly start and stop of the agent.
#include "agent/agent.h"
#include "agent/allocator.h"
#include "agent/logging.h"
#include "agent/systemd_notify.h"
#include "agent/queue/queue_verify.h"
#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <fmt/format.h>
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
  drover run   [--config FILE]   run the pipelines until SIGTERM or SIGINT; SIGHUP reloads FILE
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

drover::LogFormat log_format_of(const drover::AgentSettings& settings) {
  return settings.log_format == "json" ? drover::LogFormat::kJson : drover::LogFormat::kText;
}

/// SIGHUP: read the file again and apply what changed (I9). An invalid file changes nothing.
void reload(drover::Agent& agent, const std::string& config_path) {
  drover::Metrics& metrics = agent.metrics();
  drover::notify_reloading();
  spdlog::info("SIGHUP: reading {} again", config_path);
  try {
    drover::ReloadPlan plan =
        agent.reload(drover::load_pipeline_config(config_path, builtin_registry()));
    metrics.counter("drover_reloads_total", {{"result", "ok"}}).add();
    spdlog::info("reload applied: {}", plan.summary());
  } catch (const drover::ConfigError& e) {
    metrics.counter("drover_reloads_total", {{"result", "failed"}}).add();
    spdlog::error("reload failed with {} problem(s); what they concern runs as before:",
                  e.problems().size());
    for (const auto& problem : e.problems()) spdlog::error("  {}", problem);
  }
  drover::notify_ready("running");
}

int run(const std::string& config_path) {
  // Block the signals before any thread exists so every thread inherits the mask and only
  // this thread receives them, through sigwait. A SIGHUP that comes before the pipelines run,
  // or during a reload, waits; during shutdown it is ignored: it never ends the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  drover::PipelineConfig config = drover::load_pipeline_config(config_path, builtin_registry());
  drover::setup_logging(config.agent.log_level, log_format_of(config.agent));
  drover::Agent agent(std::move(config));
  agent.metrics().counter("drover_reloads_total", {{"result", "ok"}});
  agent.metrics().counter("drover_reloads_total", {{"result", "failed"}});
  agent.start();
  drover::notify_ready("running");
  int received = 0;
  while (true) {
    sigwait(&signals, &received);
    if (received != SIGHUP) break;
    reload(agent, config_path);
  }
  spdlog::info("received {}", received == SIGTERM ? "SIGTERM" : "SIGINT");
  drover::notify_stopping();
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
