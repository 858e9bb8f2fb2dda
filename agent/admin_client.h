// The other end of the admin endpoint, for the CLI (`drover status`, `drover reload`): one GET,
// the body back. Blocking, with a timeout; main thread of a short-lived process.
#pragma once

#include "base/status.h"

#include <chrono>
#include <string>

namespace drover {

struct AdminReply {
  int status = 0;
  std::string body;
};

/// GET `path` from "a.b.c.d:port", with "Authorization: Bearer `token`" unless it is empty.
Result<AdminReply> admin_get(const std::string& address, const std::string& path,
                             const std::string& token = "",
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace drover
