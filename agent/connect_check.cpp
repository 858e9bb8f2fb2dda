#include "agent/connect_check.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace drover {
namespace {

ConnectCheck check_data_dir(const std::filesystem::path& data_dir) {
  const std::string what = fmt::format("agent.data_dir {}", data_dir.string());
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return {what, false, fmt::format("cannot create it: {}", error.message())};
  // What drover does there: create, write and sync files.
  const auto probe = data_dir / fmt::format(".drover-check-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return {what, false, fmt::format("not writable: {}", std::strerror(errno))};
  const bool written = ::write(fd, "x", 1) == 1 && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  std::filesystem::remove(probe, error);
  if (!written) return {what, false, fmt::format("cannot write: {}", std::strerror(saved_errno))};
  return {what, true, "writable"};
}

}  // namespace

bool check_connections(const PipelineConfig& config, std::FILE* out,
                       std::chrono::milliseconds timeout) {
  bool all_ok = true;
  const auto report = [&](const std::string& prefix, const ConnectCheck& check) {
    all_ok = all_ok && check.ok;
    fmt::print(out, "{:<7} {}{}: {}\n", check.ok ? "ok" : "FAILED", prefix, check.what,
               check.detail);
    std::fflush(out);
  };
  report("", check_data_dir(config.agent.data_dir));
  for (const auto& output : config.outputs) {
    if (!output.probe) continue;
    for (const auto& check : output.probe(output.name, config.agent.host, timeout)) {
      report(fmt::format("outputs.{} ", output.name), check);
    }
  }
  return all_ok;
}

}  // namespace drover
