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
/// Long start-up work goes on (a progress line): STATUS= says what, and systemd's start
/// timeout is extended, so a large queue's recovery is not killed as a hung start.
void notify_starting(const std::string& progress);

}  // namespace drover
