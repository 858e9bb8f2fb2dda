// What is risky about how drover is run, said at start (log) and by `drover check`: running as
// root, and a config file or data_dir that every user can write (anyone could then change what
// drover ships and where, or what it has queued). Warnings, not errors: drover still runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace drover {

std::vector<std::string> security_warnings(const std::filesystem::path& config_file,
                                           const std::filesystem::path& data_dir);

}  // namespace drover
