// `drover check --connect`: beyond a valid file, can this host run it — data_dir writable, each
// output's brokers answering, its fixed topic there (or to be created). One line per check.
#pragma once

#include "agent/pipeline_config.h"

#include <chrono>
#include <cstdio>

namespace drover {

/// Prints "ok|FAILED  what: detail" per check to `out`; true when every check passed.
bool check_connections(const PipelineConfig& config, std::FILE* out,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace drover
