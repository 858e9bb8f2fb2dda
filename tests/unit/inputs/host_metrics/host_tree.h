// A host's /proc (and root, for os-release) as files in a temporary folder, for tests that read
// it twice, 2 s apart.
#pragma once

#include "inputs/host_metrics/host_sample.h"
#include "tests/support/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace drover::inputs {

class HostTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write("proc/stat",
          "cpu  100 0 50 800 10 0 0 0 0 0\ncpu0 50 0 25 400 5 0 0 0 0 0\n"
          "cpu1 50 0 25 400 5 0 0 0 0 0\nctxt 1000\nbtime 1795000000\nprocesses 500\n"
          "procs_running 3\nprocs_blocked 1\n");
    write("proc/loadavg", "0.50 0.40 0.30 3/187 4242\n");
    write("proc/pressure/cpu",
          "some avg10=1.50 avg60=0.75 avg300=0.25 total=123456\n"
          "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    write("proc/pressure/io", "some avg10=4.00 avg60=2.00 avg300=1.00 total=99\n");
    write("proc/net/tcp",
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
          "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
          "   1: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000  1000\n"
          "   2: 0100007F:1F90 0100007F:A2C6 06 00000000:00000000 00:00000000 00000000  1000\n");
    write("proc/net/tcp6",
          "  sl  local_address                         remote_address                        st\n"
          "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A\n");
    write("proc/sys/kernel/hostname", "web-1\n");
    write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    write("proc/uptime", "12345.67 20000.00\n");
    std::filesystem::create_directories(dir / "proc" / "1");
    std::filesystem::create_directories(dir / "proc" / "42");
    std::filesystem::create_directories(dir / "proc" / "self");
    write("root/etc/os-release",
          "NAME=\"Debian GNU/Linux\"\n"
          "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    config.proc_dir = (dir / "proc").string();
    config.root_dir = (dir / "root").string();
    config.collectors = {"cpu", "cpu_per_core", "processes", "pressure", "tcp", "host"};
  }
  void write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories((dir / path).parent_path());
    testing::write_file(dir / path, text);
  }
  /// /proc/<pid>/stat of a process ("42 (name)") with its user time, start time and RSS (pages).
  static std::string pid_stat(const char* head, int utime, int start, int rss) {
    return fmt::format(
        "{} S 0 1 1 0 -1 4194560 1000 2000 10 20 {} 50 0 0 20 0 1 0 {} 170000000 {} "
        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
        head, utime, start, rss);
  }
  /// Two readings, the second 2 s after the first, with /proc/stat `second_stat` by then.
  std::pair<HostSample, HostSample> two_readings(const std::string& second_stat) {
    HostSample before = read_host_sample(config);
    write("proc/stat", second_stat);
    HostSample now = read_host_sample(config);
    now.taken = before.taken + std::chrono::seconds(2);
    EXPECT_TRUE(now.errors.empty()) << now.errors.front();
    return {std::move(before), std::move(now)};
  }
  /// Both readings' record (drover's schema).
  std::string record_of_two_readings(const std::string& second_stat) {
    const auto [before, now] = two_readings(second_stat);
    std::string out;
    append_host_metrics(out, now, before);
    return out;
  }
  testing::TempDir dir;
  HostMetricsConfig config;
};

}  // namespace drover::inputs
