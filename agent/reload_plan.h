// What a reload changes: the running config compared with the one just read, component by
// component. Pure: Agent::reload() carries the plan out.
#pragma once

#include "agent/pipeline_config.h"

#include <string>
#include <vector>

namespace drover {

struct ReloadPlan {
  std::vector<std::string> inputs_added, inputs_removed, inputs_changed;
  std::vector<std::string> outputs_added, outputs_removed, outputs_changed;
  /// Outputs (kept) that read other inputs now; nothing restarts for that.
  std::vector<std::string> routes_changed;
  /// Settings that changed but apply only at the next start, e.g. "agent.data_dir".
  std::vector<std::string> need_restart;
  /// [agent] settings that apply at once: log_level, log_format, shutdown_timeout.
  std::vector<std::string> agent_changed;

  bool changes_nothing() const;
  /// One line for the log: "inputs +b ~a -c; outputs ~kafka; routes kafka; agent log_level".
  std::string summary() const;
};

ReloadPlan plan_reload(const PipelineConfig& running, const PipelineConfig& next);

}  // namespace drover
