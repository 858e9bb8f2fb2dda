// A program the bench starts and measures: CPU seconds and peak resident memory while it runs
// (from /proc) and once it has exited (from wait4), as the kernel counts them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace drover::bench {

struct Usage {
  double cpu_seconds = 0;  // user + system
  uint64_t peak_rss = 0;   // bytes (VmHWM, or ru_maxrss after exit)
};

class ChildProcess {
 public:
  /// Starts argv[0] (searched in PATH) with stdout and stderr appended to `log_file`, and
  /// `environment` ("NAME=value") added to the bench's own.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
               const std::vector<std::string>& environment = {});
  ~ChildProcess();  // SIGKILLs and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// While it runs.
  Usage usage() const;
  uint64_t rss() const;  // VmRSS, bytes
  int open_descriptors() const;

  void signal(int sig) const;
  /// Waits for the exit; nullopt on timeout. The usage covers the whole life of the process.
  struct Exit {
    int code;  // 128 + signal if killed
    Usage usage;
  };
  std::optional<Exit> wait(std::chrono::milliseconds timeout);

 private:
  bool reap(int options);
  pid_t pid_ = -1;
  std::optional<Exit> exit_;
};

/// User + system CPU seconds a running process has used so far (its threads included).
double cpu_seconds_of(pid_t pid);
/// The time its threads now alive have spent on a CPU, from the scheduler (/proc/<pid>/task/*/
/// schedstat, nanoseconds): exact where utime+stime is sampled per clock tick, which is coarse
/// for a process that wakes briefly a few times a second.
double runtime_seconds_of(pid_t pid);

/// Each live thread's name and time on a CPU (schedstat), by thread id.
struct ThreadRuntime {
  std::string name;
  double seconds = 0;
};
std::map<pid_t, ThreadRuntime> thread_runtimes(pid_t pid);

/// The command that samples `pid` with call graphs into `data` until it gets SIGINT.
std::vector<std::string> perf_record(pid_t pid, const std::filesystem::path& data);

}  // namespace drover::bench
