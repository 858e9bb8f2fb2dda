// Tells systemd (Type=notify) where drover is: READY=1 once every pipeline runs,
// RELOADING=1 / READY=1 around a reload, STOPPING=1 at shutdown, STATUS= a one-line summary.
// Without NOTIFY_SOCKET (not under systemd) every call does nothing. Main thread only.
#pragma once

#include <string>

namespace drover {

void notify_ready(const std::string& status);
void notify_reloading();
void notify_stopping();
void notify_status(const std::string& status);

}  // namespace drover
