// The sockets the events input listens on: TCP for HTTP, and a Unix socket path.
#pragma once

#include "agent/status.h"
#include "agent/unique_fd.h"

#include <cstdint>
#include <string>

namespace drover::inputs {

struct Listener {
  UniqueFd fd;
  std::string address;  // as bound: "127.0.0.1:8088" (the port chosen for ":0"), or the path
};

/// Non-blocking, listening on "a.b.c.d:port".
Result<Listener> listen_tcp(const std::string& address);

/// Non-blocking, listening at `path` with `mode`. A socket left there by a process that is gone
/// is replaced; any other file at the path is an error, never removed.
Result<Listener> listen_unix(const std::string& path, uint32_t mode);

}  // namespace drover::inputs
