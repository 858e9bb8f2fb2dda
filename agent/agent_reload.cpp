// Agent::reload(): carries out a ReloadPlan on the running pipelines (I9). What did not change
// is not touched; what changed is replaced so that nothing queued, in flight or read is lost
// or sent twice.
#include "agent/agent.h"
#include "agent/logging.h"
#include "config/config_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace drover {
namespace {

bool named(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

template <typename Spec>
const Spec& spec_named(const std::vector<Spec>& specs, const std::string& name) {
  return *std::find_if(specs.begin(), specs.end(), [&](const Spec& s) { return s.name == name; });
}

}  // namespace

std::vector<std::string> Agent::reread_files(const ReloadPlan& plan) {
  std::vector<std::string> problems;
  if (admin_tokens_) {
    if (Status s = admin_tokens_->reread(); !s) {
      problems.push_back(fmt::format("agent.admin_token_file: {}", s.error().message));
    }
  }
  // Inputs the plan rebuilds read their files as they start.
  std::lock_guard lock(components_mutex_);
  for (auto& [name, running] : inputs_) {
    if (named(plan.inputs_changed, name) || named(plan.inputs_removed, name)) continue;
    if (Status s = running->input->reread_files(); !s) {
      problems.push_back(fmt::format("inputs.{}: {}", name, s.error().message));
    }
  }
  for (const auto& problem : problems) spdlog::error("reload: {}", problem);
  return problems;
}

ReloadPlan Agent::reload(PipelineConfig next) {
  ReloadPlan plan = plan_reload(config_, next);
  // What applies only at the next start keeps its running value, so later reloads compare
  // against what really runs.
  next.agent.data_dir = config_.agent.data_dir;
  next.agent.host = config_.agent.host;
  next.agent.admin_address = config_.agent.admin_address;
  for (auto& spec : next.outputs) {
    if (auto it = outputs_.find(spec.name); it != outputs_.end()) {
      spec.queue = it->second->spec.queue;
      spec.queue_settings = it->second->spec.queue_settings;
    }
  }
  for (const auto& setting : plan.need_restart) {
    spdlog::warn("reload: {} changed; it takes effect when drover restarts", setting);
  }
  std::vector<std::string> problems = reread_files(plan);
  if (plan.changes_nothing()) {
    if (!problems.empty()) throw ConfigError(std::move(problems));
    return plan;
  }

  // Everything new is built before anything stops: one that cannot be built changes nothing.
  std::map<std::string, std::unique_ptr<Output>> replacements;
  std::map<std::string, std::unique_ptr<RunningOutput>> added_outputs;
  for (const auto& name : plan.outputs_changed) {
    const OutputSpec& spec = spec_named(next.outputs, name);
    replacements[name] = spec.build(context(name, spec.queue.memory_bytes));
  }
  for (const auto& name : plan.outputs_added) {
    added_outputs[name] = build_output(spec_named(next.outputs, name));
  }

  const auto deadline = Clock::now() + next.agent.shutdown_timeout;
  // Inputs that go away or are replaced stop reading first; what they read is still shipped.
  std::vector<std::unique_ptr<RunningInput>> retiring_inputs;
  {
    std::lock_guard lock(components_mutex_);
    for (const auto* names : {&plan.inputs_removed, &plan.inputs_changed}) {
      for (const auto& name : *names) {
        retiring_inputs.push_back(std::move(inputs_.at(name)));
        inputs_.erase(name);
        retiring_inputs.back()->thread.request_stop();
      }
    }
  }
  for (auto& input : retiring_inputs) {
    if (input->thread.joinable()) input->thread.join();
  }

  // Routes: from now on no input feeds a removed output, and new outputs are fed.
  std::vector<std::unique_ptr<RunningOutput>> removed_outputs;
  {
    std::lock_guard lock(components_mutex_);
    for (const auto& name : plan.outputs_removed) {
      removed_outputs.push_back(std::move(outputs_.at(name)));
      outputs_.erase(name);
    }
    for (auto& [name, output] : added_outputs) outputs_[name] = std::move(output);
    for (auto& [name, output] : outputs_) {
      output->spec.inputs = spec_named(next.outputs, name).inputs;
    }
  }
  route_inputs();
  for (const auto& name : plan.inputs_removed) router_.set_queues(name, {});
  for (const auto& name : plan.outputs_added) start_output(*outputs_.at(name));

  // A changed output: the old one stops taking batches and settles what it took; what it
  // could not settle goes back to the front of the queue for the new one.
  for (auto& [name, replacement] : replacements) {
    RunningOutput& running = *outputs_.at(name);
    running.retiring = true;
    running.queue->pause_consumer();
    finish_output(running, deadline);
    std::vector<BatchPtr> unfinished = running.output->take_unfinished();
    {
      std::lock_guard lock(components_mutex_);
      running.output = std::move(replacement);
      running.spec = spec_named(next.outputs, name);
    }
    health_.clear_component("output " + name);
    running.queue->resume_consumer(std::move(unfinished));
    start_output(running);
  }
  for (auto& output : removed_outputs) {
    output->queue->close();
    retire_output(*output, deadline);
    health_.clear_component("output " + output->spec.name);
  }
  removed_outputs.clear();

  // Replaced inputs end where their successors start: once what they read is safe.
  for (auto& input : retiring_inputs) retire_input(*input, deadline);
  for (auto& input : retiring_inputs) {
    const std::string name = input->spec.name;
    if (!named(plan.inputs_changed, name)) continue;
    const InputSpec& spec = spec_named(next.inputs, name);
    input->input.reset();
    try {
      input->input = spec.build(context(name));
      input->spec = spec;
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
      spdlog::error("reload: input {} could not be rebuilt; it goes on as it was", name);
      input->input = input->spec.build(context(name));
      std::replace_if(
          next.inputs.begin(), next.inputs.end(),
          [&](const InputSpec& s) { return s.name == name; }, input->spec);
    }
    std::lock_guard lock(components_mutex_);
    inputs_[name] = std::move(input);
  }
  retiring_inputs.clear();
  for (const auto& name : plan.inputs_added) {
    const InputSpec& spec = spec_named(next.inputs, name);
    try {
      auto running = std::make_unique<RunningInput>();
      running->spec = spec;
      running->input = spec.build(context(name));
      std::lock_guard lock(components_mutex_);
      inputs_[name] = std::move(running);
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
      std::erase_if(next.inputs, [&](const InputSpec& s) { return s.name == name; });
    }
  }
  route_inputs();
  for (const auto& name : plan.inputs_changed) start_input(*inputs_.at(name));
  for (const auto& name : plan.inputs_added) {
    if (inputs_.contains(name)) start_input(*inputs_.at(name));
  }

  if (named(plan.agent_changed, "log_level") || named(plan.agent_changed, "log_format")) {
    setup_logging(next.agent.log_level,
                  next.agent.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  }
  // The specs of components that did not change are the same; keep the running ones' order.
  config_ = std::move(next);
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return plan;
}

}  // namespace drover
