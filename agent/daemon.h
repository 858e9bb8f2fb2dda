// `drover run`: the process's life as a daemon on the main thread — signals (SIGTERM/SIGINT
// stop, SIGHUP reloads), the pid file, and what systemd is told.
#pragma once

#include "agent/registry.h"

#include <string>

namespace drover {

/// Runs until SIGTERM or SIGINT; returns the exit code. Throws ConfigError if the config is
/// invalid or a component cannot be built at start.
int run_daemon(const std::string& config_path, const Registry& registry);

}  // namespace drover
