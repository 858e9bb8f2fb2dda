#include "agent/agent.h"

#include "agent/checkpoint_store.h"
#include "config/config_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace drover {

struct Agent::RunningOutput {
  std::string name;
  std::unique_ptr<Output> output;
  std::unique_ptr<BatchQueue> queue;
  std::jthread thread;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
};

Agent::Agent(PipelineConfig config) : config_(std::move(config)) {
  std::vector<std::string> problems;
  const auto context = [&](const std::string& name, uint64_t memory_bytes = 0) {
    return ComponentContext{name,      config_.agent.host, config_.agent.data_dir,
                            &metrics_, memory_bytes,       &health_};
  };
  for (auto& spec : config_.outputs) {
    auto running = std::make_unique<RunningOutput>();
    running->name = spec.name;
    QueueOptions queue_options = spec.queue;
    queue_options.dir = config_.agent.data_dir / "queue" / spec.name;
    auto queue = BatchQueue::open(queue_options, metrics_, spec.name);
    if (!queue) {
      problems.push_back(fmt::format("outputs.{}.queue: {}", spec.name, queue.error().message));
      continue;
    }
    running->queue = std::move(*queue);
    try {
      running->output = spec.build(context(spec.name, spec.queue.memory_bytes));
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
      continue;
    }
    for (const auto& input : spec.inputs) router_.connect(input, running->queue.get());
    outputs_.push_back(std::move(running));
  }
  for (auto& spec : config_.inputs) {
    try {
      inputs_.push_back(spec.build(context(spec.name)));
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
}

Agent::~Agent() { stop(); }

void Agent::mark_failed(const std::string& component, const std::string& reason) {
  if (!running_) return;  // ending during stop() is the plan, not a failure
  health_.raise(component, "stopped", reason);
}

void Agent::start() {
  if (!config_.agent.admin_address.empty()) {
    auto admin =
        AdminServer::start(config_.agent.admin_address, {[this] { return metrics_.render(); },
                                                         [this] { return health_.render(); },
                                                         [this] { return running_.load(); }});
    if (!admin) throw ConfigError({fmt::format("agent.admin_address: {}", admin.error().message)});
    admin_ = std::move(*admin);
    if (Status s = write_file_atomically(config_.agent.data_dir / "admin.address",
                                         admin_->address() + "\n");
        !s) {
      spdlog::warn("{}", s.error().message);
    }
    spdlog::info("admin endpoint on http://{} (/metrics, /healthz, /readyz)", admin_->address());
  }
  started_ = true;
  running_ = true;
  for (auto& running : outputs_) {
    running->thread = std::jthread([this, r = running.get()](std::stop_token stop) {
      std::string why = "stopped unexpectedly";
      try {
        if (Status status = r->output->run(*r->queue, stop); !status) {
          why = status.error().message;
          spdlog::error("output {} stopped: {}", r->name, why);
        }
      } catch (const std::exception& e) {
        why = e.what();
        spdlog::critical("output {} failed: {}", r->name, why);
      }
      mark_failed("output " + r->name, why);
      std::lock_guard lock(r->mutex);
      r->finished = true;
      r->finished_cv.notify_all();
    });
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const std::string& name = config_.inputs[i].name;
    input_threads_.emplace_back([this, input = inputs_[i].get(), name,
                                 &sink = router_.sink_for(name)](std::stop_token stop) {
      try {
        if (Status status = input->run(sink, stop); !status) {
          spdlog::error("input {} stopped: {}", name, status.error().message);
        }
      } catch (const std::exception& e) {
        spdlog::critical("input {} failed: {}", name, e.what());
      }
    });
  }
  spdlog::info("drover {} started: {} input(s), {} output(s), data in {}", DROVER_VERSION,
               inputs_.size(), outputs_.size(), config_.agent.data_dir.string());
}

void Agent::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  running_ = false;
  spdlog::info("stopping: inputs first, then outputs flush for up to {} ms",
               config_.agent.shutdown_timeout.count());
  for (auto& thread : input_threads_) thread.request_stop();
  input_threads_.clear();  // joins
  for (auto& running : outputs_) running->queue->close();

  const auto deadline = std::chrono::steady_clock::now() + config_.agent.shutdown_timeout;
  for (auto& running : outputs_) {
    std::unique_lock lock(running->mutex);
    if (!running->finished_cv.wait_until(lock, deadline, [&] { return running->finished; })) {
      spdlog::warn(
          "output {} did not finish within shutdown_timeout; abandoning what is in "
          "flight (its source positions stay uncommitted and will be re-read)",
          running->name);
    }
  }
  for (auto& running : outputs_) {
    running->thread.request_stop();
    if (running->thread.joinable()) running->thread.join();
    // What the output could not deliver in time, and what it never took, waits on disk.
    if (Status s = running->queue->spill_for_stop(running->output->take_unfinished()); !s) {
      spdlog::error("output {}: {}; what was not saved is read again from its sources",
                    running->name, s.error().message);
    }
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (Status status = inputs_[i]->save_positions(); !status) {
      spdlog::error("input {}: could not save positions: {}", config_.inputs[i].name,
                    status.error().message);
    }
  }
  admin_.reset();
  spdlog::info("stopped; counters:\n{}", metrics_.render());
}

}  // namespace drover
