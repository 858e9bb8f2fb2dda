// `drover run`: the process's life as a daemon on the main thread — signals (SIGTERM/SIGINT
// stop, SIGHUP reloads), the pid file, and what systemd is told.
#pragma once

#include "agent/pipeline_config.h"
#include "agent/registry.h"

#include <functional>
#include <string>

namespace drover {

/// Runs until SIGTERM or SIGINT, or until an input's source ends (standard input: then the exit
/// code is that input's); returns the exit code. Throws ConfigError if the config is invalid or
/// a component cannot be built at start.
int run_daemon(const std::string& config_path, const Registry& registry);

/// The same for a config that is not (only) a file: `load` gives it at start and again on
/// SIGHUP; `config_path` names it in /status ("" for none). `show_progress`: an input whose
/// source ends may draw a progress line on the terminal (drover produce --progress).
int run_pipelines(const std::function<PipelineConfig()>& load, const std::string& config_path,
                  bool show_progress = false);

}  // namespace drover
