#include "agent/systemd_notify.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <ctime>
#include <systemd/sd-daemon.h>

namespace drover {
namespace {

void notify(const std::string& state) {
  // 0: no NOTIFY_SOCKET. An error is worth one line: systemd will time the start out.
  if (int rc = sd_notify(0, state.c_str()); rc < 0) {
    static bool told = false;
    if (!told) spdlog::warn("cannot notify systemd: {}", std::strerror(-rc));
    told = true;
  }
}

}  // namespace

void notify_ready(const std::string& status) { notify(fmt::format("READY=1\nSTATUS={}", status)); }

void notify_reloading() {
  // systemd 253+ wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload); older ones ignore it.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration", usec));
}

void notify_stopping() { notify("STOPPING=1\nSTATUS=stopping: flushing outputs"); }

void notify_status(const std::string& status) { notify(fmt::format("STATUS={}", status)); }

void notify_starting(const std::string& progress) {
  // Progress lines come every few seconds while the work goes on: 30 s more each time.
  notify(fmt::format("STATUS=starting: {}\nEXTEND_TIMEOUT_USEC=30000000", progress));
}

}  // namespace drover
