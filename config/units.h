// Durations ("250ms", "10s", "1.5m") and sizes ("64MiB", "1MB", 4096) as written in the config.
#pragma once

#include "base/status.h"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace drover::config {

/// Units: ms, s, m, h, d. A bare number is not accepted: a duration always says its unit.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Units: B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024); bare number = bytes.
Result<uint64_t> parse_size(std::string_view text);

}  // namespace drover::config
