#include "agent/daemon.h"

#include "agent/agent.h"
#include "agent/checkpoint_store.h"
#include "agent/control_commands.h"
#include "agent/logging.h"
#include "agent/security_warnings.h"
#include "agent/systemd_notify.h"
#include "config/config_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <unistd.h>

namespace drover {
namespace {

// How often systemd's STATUS= line (records/s, queue depth) is brought up to date.
constexpr auto kStatusInterval = std::chrono::seconds(10);

LogFormat log_format_of(const AgentSettings& settings) {
  return settings.log_format == "json" ? LogFormat::kJson : LogFormat::kText;
}

/// SIGHUP: read the file again and apply what changed (I9). An invalid file changes nothing.
void reload(Agent& agent, const std::function<PipelineConfig()>& load,
            const std::string& config_path) {
  Metrics& metrics = agent.metrics();
  notify_reloading();
  spdlog::info("SIGHUP: reading {} again", config_path.empty() ? "the config" : config_path);
  Agent::ReloadRecord record;
  try {
    const ReloadPlan plan = agent.reload(load());
    spdlog::info("reload applied: {}", plan.summary());
    record.ok = true;
    record.summary = plan.summary();
    for (const auto& setting : plan.need_restart) {
      record.problems.push_back(
          fmt::format("{} changed: takes effect at the next restart", setting));
    }
  } catch (const ConfigError& e) {
    spdlog::error("reload failed with {} problem(s); what they concern runs as before:",
                  e.problems().size());
    for (const auto& problem : e.problems()) spdlog::error("  {}", problem);
    record.problems = e.problems();
  }
  record.at = std::chrono::system_clock::now();
  const bool ok = record.ok;
  agent.note_reload(std::move(record));
  // Counted last: whoever sees the count can already read why in the log and in /status.
  metrics.counter("drover_reloads_total", {{"result", ok ? "ok" : "failed"}}).add();
}

/// "1234 records/s delivered, queue 2.0 MiB in memory + 0 B on disk"
class StatusLine {
 public:
  std::string next(Agent& agent) {
    const auto now = std::chrono::steady_clock::now();
    const Agent::Totals totals = agent.totals();
    const double seconds = std::chrono::duration<double>(now - at_).count();
    const double rate = seconds > 0 && totals.delivered >= delivered_
                            ? static_cast<double>(totals.delivered - delivered_) / seconds
                            : 0;
    at_ = now;
    delivered_ = totals.delivered;
    return fmt::format("{:.0f} records/s delivered, queue {} KiB in memory + {} KiB on disk", rate,
                       totals.queue_memory_bytes / 1024, totals.queue_disk_bytes / 1024);
  }

 private:
  std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::now();
  uint64_t delivered_ = 0;
};

}  // namespace

int run_daemon(const std::string& config_path, const Registry& registry) {
  return run_pipelines([&] { return load_pipeline_config(config_path, registry); }, config_path);
}

int run_pipelines(const std::function<PipelineConfig()>& load, const std::string& config_path,
                  bool show_progress) {
  // Block the signals before any thread exists so every thread inherits the mask and only
  // this thread receives them. A SIGHUP that comes before the pipelines run, or during a
  // reload, waits; during shutdown it is ignored: it never ends the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  PipelineConfig config = load();
  setup_logging(config.agent.log_level, log_format_of(config.agent));
  if (!config_path.empty()) {
    for (const auto& warning : security_warnings(config_path, config.agent.data_dir)) {
      spdlog::warn("{}", warning);
    }
  }
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);
  // Set by an input whose source ended (from its thread), before it sends SIGTERM.
  std::atomic<int> ended_with{-1};
  Agent agent(std::move(config));
  agent.on_source_ended(
      [&ended_with](int exit_code) {
        ended_with = exit_code;
        ::kill(::getpid(), SIGTERM);  // to the process: the main thread's sigtimedwait takes it
      },
      show_progress);
  agent.progress().on_line([](const std::string& line) { notify_starting(line); });
  if (!config_path.empty()) agent.set_config_file(std::filesystem::absolute(config_path).string());
  agent.metrics().counter("drover_reloads_total", {{"result", "ok"}});
  agent.metrics().counter("drover_reloads_total", {{"result", "failed"}});
  agent.start();
  const std::filesystem::path pid_file = pid_file_of(agent.settings());
  if (Status s = write_file_atomically(pid_file, fmt::format("{}\n", ::getpid())); !s) {
    spdlog::warn("{}; `drover reload` will not find this process", s.error().message);
  }
  // Ready once the inputs' own start-up work is done too. SIGTERM meanwhile waits, then stops.
  (void)agent.wait_until_ready(std::chrono::steady_clock::now() + std::chrono::hours(24 * 365));
  StatusLine status_line;
  notify_ready(status_line.next(agent));
  int received = 0;
  while (true) {
    timespec timeout{std::chrono::duration_cast<std::chrono::seconds>(kStatusInterval).count(), 0};
    received = sigtimedwait(&signals, nullptr, &timeout);
    if (received < 0) {  // timed out (or EINTR): time for a fresh STATUS=
      notify_status(status_line.next(agent));
      continue;
    }
    if (received != SIGHUP) break;
    reload(agent, load, config_path);
    notify_ready(status_line.next(agent));
  }
  if (ended_with >= 0) {
    spdlog::info("an input's source ended: stopping");
  } else {
    spdlog::info("received {}", received == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  notify_stopping();
  agent.stop();
  std::error_code ignored;
  std::filesystem::remove(pid_file, ignored);
  return std::max(ended_with.load(), 0);
}

}  // namespace drover
