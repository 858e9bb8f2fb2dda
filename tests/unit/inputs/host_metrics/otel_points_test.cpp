// Host metrics as OpenTelemetry data points: every collector's points from a fixture /proc read
// twice, with the exact names, units, types, values and attributes the README's mapping gives.
#include "inputs/host_metrics/otel_points.h"

#include "tests/unit/inputs/host_metrics/host_tree.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr const char* kBoot = "2026-11-18T11:06:40.000Z";  // btime 1795000000

std::string counter(std::string_view name, std::string_view unit, std::string_view value,
                    std::string_view attributes) {
  return fmt::format(
      R"("name":"{}","unit":"{}","type":"sum","monotonic":true,"start_time":"{}","value":{},)"
      R"("attributes":{{{}}})",
      name, unit, kBoot, value, attributes);
}
std::string updown(std::string_view name, std::string_view unit, std::string_view value,
                   std::string_view attributes) {
  return fmt::format(
      R"("name":"{}","unit":"{}","type":"sum","monotonic":false,"value":{},"attributes":{{{}}})",
      name, unit, value, attributes);
}
std::string gauge(std::string_view name, std::string_view unit, std::string_view value,
                  std::string_view attributes) {
  return fmt::format(R"("name":"{}","unit":"{}","type":"gauge","value":{},"attributes":{{{}}})",
                     name, unit, value, attributes);
}

std::vector<std::string> points_of(const HostSample& now, const HostSample& before) {
  std::vector<std::string> points;
  for_each_otel_point(now, before, [&](std::string_view point) { points.emplace_back(point); });
  return points;
}

constexpr const char* kSecondStat =
    "cpu  130 0 60 850 10 0 0 0 0 0\ncpu0 70 0 25 405 5 0 0 0 0 0\n"
    "cpu1 60 0 35 445 5 0 0 0 0 0\nctxt 3000\nbtime 1795000000\nprocesses 510\n"
    "procs_running 2\nprocs_blocked 0\n";

class OtelPointsTest : public HostTreeTest {
 protected:
  void SetUp() override {
    HostTreeTest::SetUp();
    config.schema = MetricsSchema::kOtel;
    // /proc/stat counts in USER_HZ, 100 on every Linux ABI drover is built for.
    ASSERT_EQ(::sysconf(_SC_CLK_TCK), 100);
  }
};

TEST_F(OtelPointsTest, CpuMemoryPagingAndLoad) {
  write_meminfo();
  config.collectors = {"cpu", "memory", "load"};
  const auto [before, now] = two_readings(kSecondStat);
  // 90 ticks between the readings: 30 user, 10 system, 50 idle.
  const char* states[] = {"user", "nice",      "system",  "idle",
                          "wait", "interrupt", "softirq", "steal"};
  const char* seconds[] = {"1.3", "0", "0.6", "8.5", "0.1", "0", "0", "0"};
  const char* shares[] = {"0.3333", "0", "0.1111", "0.5556", "0", "0", "0", "0"};
  std::vector<std::string> expected{updown("system.cpu.logical.count", "{cpu}", "2", "")};
  for (size_t i = 0; i < 8; ++i) {
    expected.push_back(
        counter("system.cpu.time", "s", seconds[i], fmt::format(R"("state":"{}")", states[i])));
  }
  for (size_t i = 0; i < 8; ++i) {
    expected.push_back(
        gauge("system.cpu.utilization", "1", shares[i], fmt::format(R"("state":"{}")", states[i])));
  }
  // used = total - free - buffers - cached - reclaimable slab: the states add up to the total.
  const std::pair<const char*, const char*> memory[] = {{"used", "512000"},
                                                        {"free", "102400"},
                                                        {"buffered", "51200"},
                                                        {"cached", "307200"},
                                                        {"slab_reclaimable", "51200"}};
  for (const auto& [state, bytes] : memory) {
    expected.push_back(
        updown("system.memory.usage", "By", bytes, fmt::format(R"("state":"{}")", state)));
  }
  for (const auto& [state, share] :
       {std::pair{"used", "0.5"}, std::pair{"free", "0.1"}, std::pair{"buffered", "0.05"},
        std::pair{"cached", "0.3"}, std::pair{"slab_reclaimable", "0.05"}}) {
    expected.push_back(
        gauge("system.memory.utilization", "1", share, fmt::format(R"("state":"{}")", state)));
  }
  expected.push_back(updown("system.memory.limit", "By", "1024000", ""));
  expected.push_back(updown("system.linux.memory.available", "By", "614400", ""));
  expected.push_back(updown("system.paging.usage", "By", "51200", R"("state":"used")"));
  expected.push_back(updown("system.paging.usage", "By", "153600", R"("state":"free")"));
  expected.push_back(gauge("system.paging.utilization", "1", "0.25", R"("state":"used")"));
  expected.push_back(gauge("system.paging.utilization", "1", "0.75", R"("state":"free")"));
  expected.push_back(gauge("system.cpu.load_average.1m", "{thread}", "0.5", ""));
  expected.push_back(gauge("system.cpu.load_average.5m", "{thread}", "0.4", ""));
  expected.push_back(gauge("system.cpu.load_average.15m", "{thread}", "0.3", ""));
  EXPECT_EQ(points_of(now, before), expected);
}

TEST_F(OtelPointsTest, PerCoreWithCpuPerCoreAndNoSharesAfterAReset) {
  config.collectors = {"cpu", "cpu_per_core"};
  auto [before, now] = two_readings(kSecondStat);
  const auto points = points_of(now, before);
  ASSERT_EQ(points.size(), 1U + 2 * 16) << "the host's count, then each core's 8 times, 8 shares";
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_NE(points[i].find(i <= 16 ? R"("attributes":{"cpu":"cpu0",)"
                                     : R"("attributes":{"cpu":"cpu1",)"),
              std::string::npos)
        << points[i];
  }
  // cpu0: 25 ticks, 20 of them user; cpu1: 65 ticks, 10 user, 10 system, 45 idle.
  EXPECT_EQ(points[1], counter("system.cpu.time", "s", "0.7", R"("cpu":"cpu0","state":"user")"));
  EXPECT_EQ(points[9],
            gauge("system.cpu.utilization", "1", "0.8", R"("cpu":"cpu0","state":"user")"));
  EXPECT_EQ(points[17 + 8 + 3],
            gauge("system.cpu.utilization", "1", "0.6923", R"("cpu":"cpu1","state":"idle")"));

  // Rebooted between the readings: the counters are as read, the shares unknown.
  write("proc/stat", "cpu  13 0 6 85 1 0 0 0 0 0\ncpu0 7 0 3 40 1 0 0 0 0 0\nbtime 1795000000\n");
  before = std::move(now);
  now = read_host_sample(config);
  EXPECT_EQ(points_of(now, before),
            (std::vector<std::string>{
                updown("system.cpu.logical.count", "{cpu}", "1", ""),
                counter("system.cpu.time", "s", "0.07", R"("cpu":"cpu0","state":"user")"),
                counter("system.cpu.time", "s", "0", R"("cpu":"cpu0","state":"nice")"),
                counter("system.cpu.time", "s", "0.03", R"("cpu":"cpu0","state":"system")"),
                counter("system.cpu.time", "s", "0.4", R"("cpu":"cpu0","state":"idle")"),
                counter("system.cpu.time", "s", "0.01", R"("cpu":"cpu0","state":"wait")"),
                counter("system.cpu.time", "s", "0", R"("cpu":"cpu0","state":"interrupt")"),
                counter("system.cpu.time", "s", "0", R"("cpu":"cpu0","state":"softirq")"),
                counter("system.cpu.time", "s", "0", R"("cpu":"cpu0","state":"steal")")}));
}

TEST_F(OtelPointsTest, NetworkDisksAndFilesystems) {
  config.collectors = {"network", "disk", "filesystem"};
  auto [before, now] = read_devices_twice();
  ASSERT_EQ(now.filesystems.size(), 2U);
  EXPECT_EQ(now.filesystems[0].device, "/dev/vda1");
  EXPECT_FALSE(now.filesystems[0].read_only);
  EXPECT_EQ(now.filesystems[1].device, "/dev/vdb");
  EXPECT_TRUE(now.filesystems[1].read_only);
  fix_filesystem_figures(now);

  std::vector<std::string> expected;
  const std::tuple<const char*, const char*, const char*, const char*> network[] = {
      {"system.network.io", "By", "1000", "500"},
      {"system.network.packets", "{packets}", "10", "5"},
      {"system.network.errors", "{errors}", "1", "3"},
      {"system.network.dropped", "{packets}", "2", "4"}};
  for (const auto& [name, unit, received, transmitted] : network) {
    expected.push_back(counter(name, unit, received, R"("device":"eth0","direction":"receive")"));
    expected.push_back(
        counter(name, unit, transmitted, R"("device":"eth0","direction":"transmit")"));
  }
  const std::string read = R"("device":"vda","direction":"read")";
  const std::string written = R"("device":"vda","direction":"write")";
  expected.push_back(counter("system.disk.io", "By", "1024000", read));  // 2000 sectors
  expected.push_back(counter("system.disk.io", "By", "2048000", written));
  expected.push_back(counter("system.disk.operations", "{operations}", "100", read));
  expected.push_back(counter("system.disk.operations", "{operations}", "50", written));
  expected.push_back(counter("system.disk.io_time", "s", "0.3", R"("device":"vda")"));
  expected.push_back(counter("system.disk.operation_time", "s", "0.04", read));
  expected.push_back(counter("system.disk.operation_time", "s", "0.07", written));
  expected.push_back(counter("system.disk.merged", "{operations}", "5", read));
  expected.push_back(counter("system.disk.merged", "{operations}", "6", written));
  expected.push_back(
      updown("system.disk.pending_operations", "{operations}", "1", R"("device":"vda")"));
  expected.push_back(counter("system.disk.weighted_io_time", "s", "0.11", R"("device":"vda")"));
  const auto filesystem = [&](const std::string& which, const char* used, const char* free,
                              const char* reserved, const char* inodes_used,
                              const char* inodes_free, const char* utilization) {
    const auto state = [&](const char* name) { return which + R"(,"state":")" + name + '"'; };
    expected.push_back(updown("system.filesystem.usage", "By", used, state("used")));
    expected.push_back(updown("system.filesystem.usage", "By", free, state("free")));
    expected.push_back(updown("system.filesystem.usage", "By", reserved, state("reserved")));
    expected.push_back(
        updown("system.filesystem.inodes.usage", "{inodes}", inodes_used, state("used")));
    expected.push_back(
        updown("system.filesystem.inodes.usage", "{inodes}", inodes_free, state("free")));
    expected.push_back(gauge("system.filesystem.utilization", "1", utilization, which));
  };
  // used 700000 of the 950000 users may fill; 50000 only root may
  filesystem(R"("device":"/dev/vda1","mode":"rw","mountpoint":"/","type":"ext4")", "700000",
             "250000", "50000", "600", "400", "0.7368");
  filesystem(R"("device":"/dev/vdb","mode":"ro","mountpoint":"/data","type":"xfs")", "4096", "0",
             "0", "10", "0", "1");
  EXPECT_EQ(points_of(now, before), expected);
}

TEST_F(OtelPointsTest, ProcessesPressureConnectionsAndTheHost) {
  config.collectors = {"processes", "pressure", "tcp", "host"};
  const auto [before, now] = two_readings(kSecondStat);
  std::vector<std::string> expected{
      updown("system.processes.count", "{processes}", "2", R"("status":"running")"),
      updown("system.processes.count", "{processes}", "0", R"("status":"blocked")"),
      counter("system.processes.created", "{processes}", "510", ""),
      updown("drover.system.processes", "{processes}", "2", ""),  // /proc/1 and /proc/42
      updown("drover.system.threads", "{thread}", "187", ""),
      counter("drover.system.context_switches", "{switches}", "3000", "")};
  const std::tuple<const char*, const char*, const char*, const char*, const char*> pressure[] = {
      {"cpu", "some", "0.015", "0.0075", "0.0025"},
      {"cpu", "full", "0", "0", "0"},
      {"io", "some", "0.04", "0.02", "0.01"}};
  const char* stall_seconds[] = {"0.123456", "0", "9.9e-05"};
  for (size_t i = 0; i < std::size(pressure); ++i) {
    const auto& [resource, stall, avg10, avg60, avg300] = pressure[i];
    for (const auto& [window, share] :
         {std::pair{"10s", avg10}, std::pair{"60s", avg60}, std::pair{"300s", avg300}}) {
      expected.push_back(gauge(
          "drover.system.pressure", "1", share,
          fmt::format(R"("resource":"{}","stall":"{}","window":"{}")", resource, stall, window)));
    }
    expected.push_back(counter("drover.system.pressure.time", "s", stall_seconds[i],
                               fmt::format(R"("resource":"{}","stall":"{}")", resource, stall)));
  }
  const std::pair<const char*, const char*> connections[] = {
      {"CLOSE", "0"},        {"CLOSE_WAIT", "0"}, {"CLOSING", "0"},  {"ESTABLISHED", "1"},
      {"FIN_WAIT1", "0"},    {"FIN_WAIT2", "0"},  {"LAST_ACK", "0"}, {"LISTEN", "2"},
      {"NEW_SYN_RECV", "0"}, {"SYN_RECV", "0"},   {"SYN_SENT", "0"}, {"TIME_WAIT", "1"}};
  for (const auto& [state, count] : connections) {
    expected.push_back(updown("system.network.connections", "{connections}", count,
                              fmt::format(R"("protocol":"tcp","state":"{}")", state)));
  }
  expected.push_back(gauge("system.uptime", "s", "12345.67", ""));
  EXPECT_EQ(points_of(now, before), expected);
  EXPECT_EQ(
      otel_resource(now, "agent-name"),
      R"({"host.name":"web-1","os.type":"linux",)"
      R"x("os.description":"Debian GNU/Linux 12 (bookworm)","os.version":"6.1.0-28-amd64"})x");
  config.collectors = {"load"};  // without the host collector: the agent's name for it
  EXPECT_EQ(otel_resource(read_host_sample(config), "agent-name"),
            R"({"host.name":"agent-name","os.type":"linux"})");
}

TEST_F(OtelPointsTest, TopProcessesEachOnceWithTheirShareOfAllCpus) {
  write("proc/1/stat", pid_stat("1 (systemd)", 100, 5, 3000));
  write("proc/42/stat", pid_stat("42 (my \"app\")", 10, 900, 100));
  config.collectors = {"cpu", "top_processes"};  // cpu: the 2 cores the shares are of
  config.top_processes = 2;
  const HostSample before = read_host_sample(config);
  write("proc/stat", kSecondStat);
  write("proc/1/stat", pid_stat("1 (systemd)", 300, 5, 3000));         // 200 ticks in 2 s
  write("proc/42/stat", pid_stat("42 (my \"app\")", 20, 900, 100));    // 10 ticks
  write("proc/77/stat", pid_stat("77 (cc1plus)", 5000, 1200, 50000));  // new: no share yet
  HostSample now = read_host_sample(config);
  now.taken = before.taken + std::chrono::seconds(2);
  ASSERT_TRUE(now.errors.empty()) << now.errors.front();
  auto points = points_of(now, before);
  ASSERT_EQ(points.size(), 17U + 5) << "the cpu collector's, then the processes'";
  points.erase(points.begin(), points.begin() + 17);
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::string user = ::getpwuid(::getuid())->pw_name;
  const auto process = [&](int pid, const char* command) {
    return fmt::format(R"("process.pid":{},"process.executable.name":"{}","process.owner":"{}")",
                       pid, command, user);
  };
  // by CPU: 1 (a whole core: half of 2), 42; by memory: 77, then 1 again (named once).
  EXPECT_EQ(
      points,
      (std::vector<std::string>{
          gauge("process.cpu.utilization", "1", "0.5", process(1, "systemd")),
          updown("process.memory.usage", "By", std::to_string(3000 * page), process(1, "systemd")),
          gauge("process.cpu.utilization", "1", "0.025", process(42, R"(my \"app\")")),
          updown("process.memory.usage", "By", std::to_string(100 * page),
                 process(42, R"(my \"app\")")),
          updown("process.memory.usage", "By", std::to_string(50000 * page),
                 process(77, "cc1plus"))}));
}

}  // namespace
}  // namespace drover::inputs
