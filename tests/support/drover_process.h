// Runs the real drover binary as a child process, its output captured in files.
#pragma once

#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace drover::testing {

inline std::string drover_binary() { return DROVER_BINARY; }

class DroverProcess {
 public:
  /// Starts `drover ARGS...`; stdout and stderr go to the given files. `max_open_files`: the
  /// process's descriptor limit (ulimit -n), or 0 for the test's own. `stdin_fd`: what the
  /// process reads as standard input (open it O_CLOEXEC), or -1 for the test's own.
  DroverProcess(const std::vector<std::string>& args, const std::filesystem::path& stdout_file,
                const std::filesystem::path& stderr_file, rlim_t max_open_files = 0,
                int stdin_fd = -1)
      : stderr_file_(stderr_file) {
    std::fflush(nullptr);  // or the child writes the parent's buffered output a second time
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(stdout_file.c_str(), "w", stdout);
      FILE* err = std::freopen(stderr_file.c_str(), "w", stderr);
      if (out == nullptr || err == nullptr) ::_exit(127);
      if (stdin_fd >= 0 && ::dup2(stdin_fd, STDIN_FILENO) < 0) ::_exit(127);
      if (max_open_files != 0) {
        const rlimit limit{max_open_files, max_open_files};
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(127);
      }
      std::vector<char*> argv;
      std::string binary = drover_binary();
      argv.push_back(binary.data());
      std::vector<std::string> copies = args;
      for (auto& a : copies) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~DroverProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  DroverProcess(const DroverProcess&) = delete;
  DroverProcess& operator=(const DroverProcess&) = delete;

  void signal(int sig) const { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  /// Still the same process: it has not exited (nor been reaped) since it started.
  bool running() {
    if (exited_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }

  /// Waits for the process to exit; returns its exit code, or -1 on timeout, 128+N if killed.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    int status = 0;
    const bool done =
        wait_until([&] { return exited_ || ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    if (!exited_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_;
  }

  std::string log() const { return read_file(stderr_file_); }

 private:
  std::filesystem::path stderr_file_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

/// Runs drover to completion and returns {exit code, stdout + stderr}.
inline std::pair<int, std::string> run_drover(const std::vector<std::string>& args) {
  TempDir dir;
  DroverProcess process(args, dir / "out", dir / "err");
  const int code = process.wait_exit();
  return {code, read_file(dir / "out") + read_file(dir / "err")};
}

}  // namespace drover::testing
