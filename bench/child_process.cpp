#include "bench/child_process.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace drover::bench {
namespace {

uint64_t status_field_kib(pid_t pid, const std::string& field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1));
    }
  }
  return 0;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

std::vector<std::string> perf_record(pid_t pid, const std::filesystem::path& data) {
  // DWARF call graphs: librdkafka, liblz4 and libc are built without frame pointers.
  return {"perf",        "record",       "--quiet",          "-F",
          "1999",        "--call-graph", "dwarf,16384",      "-o",
          data.string(), "-p",           std::to_string(pid)};
}

std::map<pid_t, ThreadRuntime> thread_runtimes(pid_t pid) {
  std::map<pid_t, ThreadRuntime> threads;
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), error)) {
    ThreadRuntime thread;
    std::ifstream(task.path() / "comm") >> thread.name;
    uint64_t on_cpu = 0;
    if (std::ifstream(task.path() / "schedstat") >> on_cpu) {
      thread.seconds = static_cast<double>(on_cpu) / 1e9;
      threads[std::stoi(task.path().filename().string())] = thread;
    }
  }
  return threads;
}

double runtime_seconds_of(pid_t pid) {
  uint64_t nanoseconds = 0;
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), error)) {
    std::ifstream in(task.path() / "schedstat");
    uint64_t on_cpu = 0;
    if (in >> on_cpu) nanoseconds += on_cpu;
  }
  return static_cast<double>(nanoseconds) / 1e9;
}

double cpu_seconds_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(in, stat);  // one line
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const size_t end_of_name = stat.rfind(')');
  if (end_of_name == std::string::npos) return 0;
  std::istringstream fields(stat.substr(end_of_name + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::filesystem::path& log_file,
                           const std::vector<std::string>& environment) {
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) ::_exit(127);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<std::string> variables = environment;
    for (auto& variable : variables) ::putenv(variable.data());  // lives until exec
    std::vector<char*> args;
    std::vector<std::string> copies = argv;
    for (auto& a : copies) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
}

bool ChildProcess::reap(int options) {
  int status = 0;
  rusage usage{};
  const pid_t reaped = ::wait4(pid_, &status, options, &usage);
  if (reaped != pid_) return false;
  Exit exit;
  exit.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  exit.usage.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  exit.usage.peak_rss = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  exit_ = exit;
  return true;
}

bool ChildProcess::running() { return !exit_ && !reap(WNOHANG); }

Usage ChildProcess::usage() const {
  if (exit_) return exit_->usage;
  return {cpu_seconds_of(pid_), status_field_kib(pid_, "VmHWM") * 1024};
}

uint64_t ChildProcess::rss() const { return exit_ ? 0 : status_field_kib(pid_, "VmRSS") * 1024; }

int ChildProcess::open_descriptors() const {
  std::error_code error;
  int count = 0;
  for (std::filesystem::directory_iterator it(fmt::format("/proc/{}/fd", pid_), error), end;
       !error && it != end; it.increment(error)) {
    ++count;
  }
  return count;
}

void ChildProcess::signal(int sig) const {
  if (!exit_) ::kill(pid_, sig);
}

std::optional<ChildProcess::Exit> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_ && !reap(WNOHANG)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_;
}

}  // namespace drover::bench
