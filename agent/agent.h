// Builds the pipelines a config describes and runs them: one thread per input, one sender
// thread per output. A reload replaces only the components whose settings changed. Owned by
// main(); start(), reload() and stop() are called from the main thread.
#pragma once

#include "agent/admin_server.h"
#include "agent/pipeline_config.h"
#include "agent/reload_plan.h"
#include "agent/router.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace drover {

class Agent {
 public:
  /// Keeps the config; nothing is built or opened yet.
  explicit Agent(PipelineConfig config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Starts the admin endpoint (so /readyz can say what start-up is doing), builds every
  /// component — recovering disk queues, with progress — then runs every output and input.
  /// Throws ConfigError, listing every problem, if the admin address cannot be listened on or
  /// a component cannot be built (bad path, address in use, ...).
  void start();
  /// After start(): waits until the inputs' own start-up work (a file input opening thousands
  /// of files) is done too, or until `deadline`. Then drover is ready.
  bool wait_until_ready(std::chrono::steady_clock::time_point deadline) const;
  /// Long start-up work, for a hook that forwards its progress lines (systemd's STATUS=).
  StartupProgress& progress() { return progress_; }
  /// Before start(): what an input whose source ends (standard input) calls, with the exit
  /// code drover should end with; and whether such an input may draw a progress line.
  void on_source_ended(std::function<void(int exit_code)> ended, bool show_progress = false) {
    source_ended_ = std::move(ended);
    show_progress_ = show_progress;
  }

  /// Applies a config read again (I9): components added, removed or changed start, stop or
  /// restart; the others run on untouched. Positions and queued and in-flight records carry
  /// over. Throws ConfigError, having changed nothing, if a new component cannot be built;
  /// returns what was done. An input that fails to build again is restarted as it was.
  ReloadPlan reload(PipelineConfig next);

  /// Orderly stop (I6): inputs stop reading, queues close, outputs drain and flush for up to
  /// shutdown_timeout, then positions acknowledged so far are saved.
  void stop();

  /// The document GET /status serves (`drover status` prints it); any thread.
  std::string status_json();
  /// Empty when every pipeline runs; otherwise why /readyz says not ready.
  std::string not_ready() const;

  struct ReloadRecord {
    std::chrono::system_clock::time_point at;
    bool ok = false;
    std::string summary;  // what changed, when ok
    std::vector<std::string> problems;
  };
  /// For /status: the file the config came from, and how its last reload went.
  void set_config_file(std::string file);
  void note_reload(ReloadRecord record);

  struct Totals {
    uint64_t delivered = 0;  // by every output, since start
    uint64_t queue_memory_bytes = 0;
    uint64_t queue_disk_bytes = 0;
  };
  /// For systemd's one-line STATUS=. Main thread.
  Totals totals();

  Metrics& metrics() { return metrics_; }
  const AgentSettings& settings() const { return config_.agent; }

 private:
  /// SIGHUP: the token files of the admin endpoint and of the inputs the plan keeps are read
  /// again; returns a problem per file that could not be (its old tokens stay in use).
  std::vector<std::string> reread_files(const ReloadPlan& plan);
  using Clock = std::chrono::steady_clock;
  struct RunningInput {
    InputSpec spec;
    std::unique_ptr<Input> input;
    std::jthread thread;
  };
  struct RunningOutput {
    OutputSpec spec;
    std::unique_ptr<BatchQueue> queue;  // outlives the outputs a reload puts in front of it
    std::unique_ptr<Output> output;
    std::jthread thread;
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    std::atomic<bool> retiring{false};  // its thread ending is the plan, not a failure
  };
  /// Builds every component (start()); throws ConfigError listing every problem.
  void build();
  ComponentContext context(const std::string& name, uint64_t memory_bytes = 0);
  std::unique_ptr<RunningOutput> build_output(const OutputSpec& spec);
  void start_output(RunningOutput& output);
  void start_input(RunningInput& input);
  /// After its thread was stopped: waits (until `deadline`) for what the input read to be safe
  /// and saves its positions, so a successor starts where it ended.
  void retire_input(RunningInput& input, std::chrono::steady_clock::time_point deadline);
  /// Waits until the output's run() returned, or stops it at `deadline`; joins its thread.
  void finish_output(RunningOutput& output, std::chrono::steady_clock::time_point deadline);
  /// For an output whose queue is closed (stop, or removed by a reload): drains it until
  /// `deadline`, then saves what is left to the queue's disk part (I6).
  void retire_output(RunningOutput& output, std::chrono::steady_clock::time_point deadline);
  void route_inputs();
  /// A component whose thread ended before stop() has failed: /healthz says so.
  void mark_failed(const std::string& component, const std::string& reason);

  void describe_input(JsonWriter& out, const std::string& name, RunningInput& input);
  void describe_output(JsonWriter& out, const std::string& name, RunningOutput& output);

  PipelineConfig config_;  // what runs now
  Metrics metrics_;
  Router router_;
  std::map<std::string, std::unique_ptr<RunningOutput>> outputs_;
  std::map<std::string, std::unique_ptr<RunningInput>> inputs_;
  std::unique_ptr<AdminServer> admin_;
  std::shared_ptr<ListenerTokens> admin_tokens_;  // re-read on SIGHUP
  Health health_;
  StartupProgress progress_;
  std::function<void(int exit_code)> source_ended_;
  bool show_progress_ = false;
  enum class Phase { kStarting, kRunning, kStopping };
  std::atomic<Phase> phase_{Phase::kStarting};
  // Taken by status_json() while it walks the components, and by reload() around each change
  // to the maps or to what a running component points to (never while it waits).
  std::mutex components_mutex_;
  mutable std::mutex status_mutex_;  // guards what follows
  std::string config_file_;
  std::optional<ReloadRecord> last_reload_;
  const std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace drover
