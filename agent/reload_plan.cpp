#include "agent/reload_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace drover {
namespace {

template <typename Spec>
std::map<std::string, const Spec*> by_name(const std::vector<Spec>& specs) {
  std::map<std::string, const Spec*> out;
  for (const auto& spec : specs) out.emplace(spec.name, &spec);
  return out;
}

/// Sorts names into added, removed and changed; `same` says whether a kept one is unchanged.
template <typename Spec, typename Same>
void compare(const std::vector<Spec>& running, const std::vector<Spec>& next,
             std::vector<std::string>& added, std::vector<std::string>& removed,
             std::vector<std::string>& changed, Same same) {
  const auto old_specs = by_name(running);
  const auto new_specs = by_name(next);
  for (const auto& [name, spec] : new_specs) {
    const auto it = old_specs.find(name);
    if (it == old_specs.end()) {
      added.push_back(name);
    } else if (it->second->type != spec->type || !same(*it->second, *spec)) {
      changed.push_back(name);
    }
  }
  for (const auto& [name, spec] : old_specs) {
    if (!new_specs.contains(name)) removed.push_back(name);
  }
}

std::string list(char sign, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += fmt::format(" {}{}", sign, name);
  return out;
}

}  // namespace

bool ReloadPlan::changes_nothing() const {
  return inputs_added.empty() && inputs_removed.empty() && inputs_changed.empty() &&
         outputs_added.empty() && outputs_removed.empty() && outputs_changed.empty() &&
         routes_changed.empty() && agent_changed.empty();
}

std::string ReloadPlan::summary() const {
  std::vector<std::string> parts;
  const std::string inputs =
      list('+', inputs_added) + list('~', inputs_changed) + list('-', inputs_removed);
  if (!inputs.empty()) parts.push_back("inputs" + inputs);
  const std::string outputs =
      list('+', outputs_added) + list('~', outputs_changed) + list('-', outputs_removed);
  if (!outputs.empty()) parts.push_back("outputs" + outputs);
  if (!routes_changed.empty()) {
    parts.push_back(fmt::format("routes of {}", fmt::join(routes_changed, ", ")));
  }
  if (!agent_changed.empty()) {
    parts.push_back(fmt::format("agent {}", fmt::join(agent_changed, ", ")));
  }
  if (parts.empty()) return "nothing changed";
  return fmt::format("{}", fmt::join(parts, "; "));
}

ReloadPlan plan_reload(const PipelineConfig& running, const PipelineConfig& next) {
  ReloadPlan plan;
  compare(running.inputs, next.inputs, plan.inputs_added, plan.inputs_removed, plan.inputs_changed,
          [](const InputSpec& a, const InputSpec& b) { return a.settings == b.settings; });
  compare(running.outputs, next.outputs, plan.outputs_added, plan.outputs_removed,
          plan.outputs_changed,
          [](const OutputSpec& a, const OutputSpec& b) { return a.settings == b.settings; });

  const auto old_outputs = by_name(running.outputs);
  for (const auto& spec : next.outputs) {
    const auto it = old_outputs.find(spec.name);
    if (it == old_outputs.end()) continue;
    auto before = it->second->inputs;
    auto after = spec.inputs;
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    if (before != after) plan.routes_changed.push_back(spec.name);
    if (it->second->queue_settings != spec.queue_settings) {
      plan.need_restart.push_back(fmt::format("outputs.{}.queue", spec.name));
    }
  }

  const AgentSettings& a = running.agent;
  const AgentSettings& b = next.agent;
  if (a.log_level != b.log_level) plan.agent_changed.emplace_back("log_level");
  if (a.log_format != b.log_format) plan.agent_changed.emplace_back("log_format");
  if (a.shutdown_timeout != b.shutdown_timeout) plan.agent_changed.emplace_back("shutdown_timeout");
  if (a.data_dir != b.data_dir) plan.need_restart.emplace_back("agent.data_dir");
  if (a.host != b.host) plan.need_restart.emplace_back("agent.host");
  if (a.admin_address != b.admin_address) plan.need_restart.emplace_back("agent.admin_address");
  return plan;
}

}  // namespace drover
