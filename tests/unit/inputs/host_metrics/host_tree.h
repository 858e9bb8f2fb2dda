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
  /// 1000 kB of memory: 100 free, 600 available, 50 buffers, 300 cached, 50 reclaimable slab;
  /// 200 kB of swap, 150 free.
  void write_meminfo() {
    write("proc/meminfo",
          "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\n"
          "Buffers:          50 kB\nCached:          300 kB\nSwapCached:        7 kB\n"
          "SReclaimable:     50 kB\nSUnreclaim:       20 kB\nSwapTotal:       200 kB\n"
          "SwapFree:        150 kB\n");
  }
  /// Two readings, 2 s apart, of eth0 (and lo), of the disk vda (and its partition), and of the
  /// filesystems "/" (/dev/vda1) and "/data" (/dev/vdb, read-only). eth0 received 500 bytes
  /// and sent 300 between them; vda read 1000 sectors, wrote 1000 and was busy 50 ms.
  std::pair<HostSample, HostSample> read_devices_twice() {
    const auto net_dev = [](int rx, int tx) {
      return fmt::format(
          "Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
          "errs drop fifo colls carrier compressed\n"
          "    lo: 99 9 0 0 0 0 0 0 99 9 0 0 0 0 0 0\n"
          "  eth0: {} 10 1 2 0 0 0 0 {} 5 3 4 0 0 0 0\n",
          rx, tx);
    };
    write("proc/net/dev", net_dev(500, 200));
    write("proc/diskstats",
          " 253       0 vda 90 5 1000 40 40 6 3000 70 0 250 100 0 0 0 0\n"
          " 253       1 vda1 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n");
    std::filesystem::create_directories(dir / "sys" / "block" / "vda");
    write("proc/self/mounts",
          "proc /proc proc rw,nosuid 0 0\n/dev/vda1 / ext4 rw,relatime 0 0\n"
          "/dev/vdb /data xfs ro,noatime 0 0\n");
    std::filesystem::create_directories(dir / "root" / "data");
    config.sys_dir = (dir / "sys").string();
    HostSample before = read_host_sample(config);
    write("proc/net/dev", net_dev(1000, 500));
    write("proc/diskstats",
          " 253       0 vda 100 5 2000 40 50 6 4000 70 1 300 110 0 0 0 0\n"
          " 253       1 vda1 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n");
    HostSample now = read_host_sample(config);
    now.taken = before.taken + std::chrono::seconds(2);
    EXPECT_TRUE(now.errors.empty()) << now.errors.front();
    return {std::move(before), std::move(now)};
  }
  /// statvfs of the test's folder changes as the disk does: fixed figures instead. "/": 700000
  /// bytes used, 250000 free to users, 50000 to root; "/data" full.
  static void fix_filesystem_figures(HostSample& sample) {
    ASSERT_EQ(sample.filesystems.size(), 2U);
    sample.filesystems[0] = {"/", "ext4", 1000000, 300000, 250000, 1000, 400, "/dev/vda1", false};
    sample.filesystems[1] = {"/data", "xfs", 4096, 0, 0, 10, 0, "/dev/vdb", true};
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
