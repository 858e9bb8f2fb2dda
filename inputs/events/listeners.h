// The Unix socket the events input listens on (its TCP listener is agent/listener.h's).
#pragma once

#include "agent/listener.h"

#include <cstdint>
#include <string>

namespace drover::inputs {

/// Non-blocking, listening at `path` with `mode`. A socket left there by a process that is gone
/// is replaced; any other file at the path is an error, never removed.
Result<Listener> listen_unix(const std::string& path, uint32_t mode);

}  // namespace drover::inputs
