#include "agent/agent.h"

#include "agent/checkpoint_store.h"
#include "agent/logging.h"
#include "agent/thread_name.h"
#include "config/config_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace drover {

Agent::Agent(PipelineConfig config) : config_(std::move(config)) {}

void Agent::build() {
  std::vector<std::string> problems;
  for (const auto& spec : config_.outputs) {
    try {
      outputs_[spec.name] = build_output(spec);
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
    }
  }
  for (const auto& spec : config_.inputs) {
    try {
      auto running = std::make_unique<RunningInput>();
      running->spec = spec;
      running->input = spec.build(context(spec.name));
      inputs_[spec.name] = std::move(running);
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  route_inputs();
}

Agent::~Agent() { stop(); }

ComponentContext Agent::context(const std::string& name, uint64_t memory_bytes) {
  return {name,     config_.agent.host, config_.agent.data_dir, &metrics_,     memory_bytes,
          &health_, &progress_,         source_ended_,          show_progress_};
}

std::unique_ptr<Agent::RunningOutput> Agent::build_output(const OutputSpec& spec) {
  auto running = std::make_unique<RunningOutput>();
  running->spec = spec;
  QueueOptions queue_options = spec.queue;
  queue_options.dir = config_.agent.data_dir / "queue" / spec.name;
  auto queue = BatchQueue::open(queue_options, metrics_, spec.name, &progress_);
  if (!queue) {
    throw ConfigError({fmt::format("outputs.{}.queue: {}", spec.name, queue.error().message)});
  }
  running->queue = std::move(*queue);
  running->output = spec.build(context(spec.name, spec.queue.memory_bytes));
  return running;
}

void Agent::route_inputs() {
  for (const auto& [input, running] : inputs_) {
    std::vector<BatchQueue*> queues;
    for (const auto& [name, output] : outputs_) {
      const auto& reads = output->spec.inputs;
      if (std::find(reads.begin(), reads.end(), input) != reads.end()) {
        queues.push_back(output->queue.get());
      }
    }
    router_.set_queues(input, std::move(queues));
  }
}

void Agent::mark_failed(const std::string& component, const std::string& reason) {
  if (phase_ != Phase::kRunning) return;  // ending during stop() is the plan, not a failure
  health_.raise(component, "stopped", reason);
}

void Agent::start_output(RunningOutput& r) {
  r.finished = false;
  r.retiring = false;
  r.thread = std::jthread([this, &r](std::stop_token stop) {
    name_this_thread("out:" + r.spec.name);
    std::string why = "stopped unexpectedly";
    try {
      if (Status status = r.output->run(*r.queue, stop); !status) {
        why = status.error().message;
        spdlog::error("output {} stopped: {}", r.spec.name, why);
      }
    } catch (const std::exception& e) {
      why = e.what();
      spdlog::critical("output {} failed: {}", r.spec.name, why);
    }
    if (!r.retiring) mark_failed("output " + r.spec.name, why);
    std::lock_guard lock(r.mutex);
    r.finished = true;
    r.finished_cv.notify_all();
  });
}

void Agent::start_input(RunningInput& r) {
  r.thread = std::jthread([&r, &sink = router_.sink_for(r.spec.name)](std::stop_token stop) {
    name_this_thread("in:" + r.spec.name);
    try {
      if (Status status = r.input->run(sink, stop); !status) {
        spdlog::error("input {} stopped: {}", r.spec.name, status.error().message);
      }
    } catch (const std::exception& e) {
      spdlog::critical("input {} failed: {}", r.spec.name, e.what());
    }
  });
}

void Agent::start() {
  if (!config_.agent.admin_address.empty()) {
    auto tokens = ListenerTokens::open(config_.agent.admin_address, config_.agent.admin_token_file,
                                       "agent.admin_token_file");
    if (!tokens)
      throw ConfigError({fmt::format("agent.admin_token_file: {}", tokens.error().message)});
    admin_tokens_ = *tokens;
    auto admin = AdminServer::start(
        config_.agent.admin_address,
        {[this] { return metrics_.render(); }, [this] { return health_.render(); },
         [this] { return not_ready(); }, [this] { return status_json(); }},
        std::move(*tokens), &metrics_.counter("drover_admin_unauthorized_total", {}));
    if (!admin) throw ConfigError({fmt::format("agent.admin_address: {}", admin.error().message)});
    admin_ = std::move(*admin);
    if (Status s = write_file_atomically(config_.agent.data_dir / "admin.address",
                                         admin_->address() + "\n");
        !s) {
      spdlog::warn("{}", s.error().message);
    }
    spdlog::info("admin endpoint on http://{} (/metrics, /healthz, /readyz, /status)",
                 admin_->address());
  }
  build();
  started_ = true;
  // Before the threads: one that ends at once has failed (mark_failed). Start-up work still
  // under way (a file input's first scan) keeps /readyz at 503 by itself.
  phase_ = Phase::kRunning;
  for (auto& [name, output] : outputs_) start_output(*output);
  for (auto& [name, input] : inputs_) start_input(*input);
  spdlog::info("drover {} started: {} input(s), {} output(s), data in {}", DROVER_VERSION,
               inputs_.size(), outputs_.size(), config_.agent.data_dir.string());
}

bool Agent::wait_until_ready(Clock::time_point deadline) const {
  return progress_.wait_done(deadline);
}

void Agent::finish_output(RunningOutput& r, Clock::time_point deadline) {
  {
    std::unique_lock lock(r.mutex);
    if (!r.finished_cv.wait_until(lock, deadline, [&] { return r.finished; })) {
      spdlog::warn(
          "output {} did not finish within shutdown_timeout; abandoning what is in "
          "flight (its source positions stay uncommitted and will be re-read)",
          r.spec.name);
    }
  }
  r.thread.request_stop();
  if (r.thread.joinable()) r.thread.join();
}

void Agent::retire_output(RunningOutput& r, Clock::time_point deadline) {
  r.retiring = true;
  finish_output(r, deadline);
  // What the output could not deliver in time, and what it never took, waits on disk.
  if (Status s = r.queue->spill_for_stop(r.output->take_unfinished()); !s) {
    spdlog::error("output {}: {}; what was not saved is read again from its sources", r.spec.name,
                  s.error().message);
  }
}

void Agent::retire_input(RunningInput& r, Clock::time_point deadline) {
  r.thread.request_stop();
  if (r.thread.joinable()) r.thread.join();
  // What it read is in the outputs' queues; once it is safe, the positions saved are where a
  // successor starts, so nothing is read twice. Acks arrive on output threads.
  while (!r.input->settled() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!r.input->settled()) {
    spdlog::warn(
        "input {}: what it read was not all delivered within shutdown_timeout; its successor "
        "reads the rest again from the last saved positions",
        r.spec.name);
  }
  if (Status status = r.input->save_positions(); !status) {
    spdlog::error("input {}: could not save positions: {}", r.spec.name, status.error().message);
  }
}

void Agent::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  phase_ = Phase::kStopping;
  spdlog::info("stopping: inputs first, then outputs flush for up to {} ms",
               config_.agent.shutdown_timeout.count());
  for (auto& [name, input] : inputs_) input->thread.request_stop();
  for (auto& [name, input] : inputs_) {
    if (input->thread.joinable()) input->thread.join();
  }
  for (auto& [name, output] : outputs_) output->queue->close();

  const auto deadline = Clock::now() + config_.agent.shutdown_timeout;
  for (auto& [name, output] : outputs_) retire_output(*output, deadline);
  for (auto& [name, input] : inputs_) {
    if (Status status = input->input->save_positions(); !status) {
      spdlog::error("input {}: could not save positions: {}", name, status.error().message);
    }
  }
  admin_.reset();
  std::string counters = metrics_.render();
  if (counters.ends_with('\n')) counters.pop_back();
  spdlog::info("stopped; counters:\n{}", counters);
}

}  // namespace drover
