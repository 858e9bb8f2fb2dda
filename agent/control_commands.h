// The CLI commands that talk to a running drover: `drover status` (its /status as a table, or
// the JSON as it is) and `drover reload` (SIGHUP to the pid in <data_dir>/drover.pid, then the
// reload's result). Exit codes: 0 ok, 1 the agent cannot be reached or the reload failed.
#pragma once

#include "agent/pipeline_config.h"

#include <cstdio>
#include <string>

namespace drover {

/// Where the drover running with `settings` serves /status: the address it wrote to
/// <data_dir>/admin.address (the port it picked), else the configured one.
std::string admin_address_of(const AgentSettings& settings);

/// A token the admin endpoint of `settings` takes ("" when it needs none, or when the token
/// file cannot be read: the endpoint's 401 then says what is missing).
std::string admin_token_of(const AgentSettings& settings);

int run_status_command(const std::string& admin_address, const std::string& token, bool json,
                       std::FILE* out);

int run_reload_command(const AgentSettings& settings, std::FILE* out);

/// The pid file `drover run` keeps while it runs.
std::filesystem::path pid_file_of(const AgentSettings& settings);

}  // namespace drover
