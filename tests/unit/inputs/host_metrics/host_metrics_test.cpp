// The host metrics input: /proc parsing from fixed text, the record two readings make, and
// what happens to samples when the queues have no room.
#include "inputs/host_metrics/host_metrics_input.h"
#include "inputs/host_metrics/proc_stats.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"
#include "tests/unit/inputs/host_metrics/host_tree.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <pwd.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace drover::inputs {
namespace {

TEST(HostMetricsConfigTest, ListsEveryProblemAtOnce) {
  std::istringstream in(
      "interval = \"10ms\"\ncollectors = [\"cpu\", \"gpu\"]\nfilesystems = [\"data\"]\n"
      "proc_dir = \"proc\"\ntop_processes = 0\nschema = \"prometheus\"\n");
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, "inputs.host", diagnostics);
  const HostMetricsConfig config = parse_host_metrics_config(reader);
  reader.finish();
  EXPECT_EQ(diagnostics.problems(),
            (std::vector<std::string>{
                "drover.toml:1: inputs.host.interval: must be at least 100ms",
                "drover.toml:2: inputs.host.collectors: 'gpu' is not one of: cpu, memory, load, "
                "network, disk, filesystem, processes, pressure, tcp, host, cpu_per_core, "
                "top_processes",
                "drover.toml:3: inputs.host.filesystems: lists mount points, absolute paths "
                "('data' is not)",
                "drover.toml:4: inputs.host.proc_dir: must be an absolute path",
                "drover.toml:5: inputs.host.top_processes: 0 is out of range [1, 100]",
                "drover.toml:6: inputs.host.schema: 'prometheus' is not one of: drover, otel"}));
}

TEST(ProcStatsTest, ParsesTheFilesAsTheKernelWritesThem) {
  const auto cpu = parse_proc_stat(
      "cpu  100 5 50 800 10 1 2 3 0 0\ncpu0 50 0 25 400 5 0 1 1 0 0\ncpu1 50 5 25 400 5 1 1 2 0 0\n"
      "intr 1 2 3\n");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->cores, 2U);
  EXPECT_EQ(cpu->all.user, 100U);
  EXPECT_EQ(cpu->all.steal, 3U);
  EXPECT_EQ(cpu->all.total(), 971U);
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));

  const auto memory = parse_meminfo(
      "MemTotal:       1000 kB\nMemFree:  10 kB\nMemAvailable:    400 kB\nSwapTotal: 100 kB\n"
      "SwapFree:  25 kB\n");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->total, 1000U * 1024);
  EXPECT_EQ(memory->available, 400U * 1024);
  EXPECT_EQ(memory->swap_total - memory->swap_free, 75U * 1024);

  const auto load = parse_loadavg("0.51 0.83 0.87 1/78 12648\n");
  ASSERT_TRUE(load);
  EXPECT_DOUBLE_EQ(load->five, 0.83);

  const auto net = parse_net_dev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo: 1828  20    0    0    0     0          0         0 1828  20    0    0    0     0  "
      "     0          0\n"
      "  eth0: 92015088    3052    1    2    0     0          0         0   472366    2524    3 "
      "   4    0     0       0          0\n");
  ASSERT_EQ(net.size(), 2U);
  EXPECT_EQ(net.at("eth0").rx_bytes, 92015088U);
  EXPECT_EQ(net.at("eth0").rx_dropped, 2U);
  EXPECT_EQ(net.at("eth0").tx_bytes, 472366U);
  EXPECT_EQ(net.at("eth0").tx_dropped, 4U);

  const auto disks = parse_diskstats(
      " 253       0 vda 105338 100 2000 50 79252 20 4000 60 0 7000 9000 0 0 0 0\n"
      " 253       1 vda1 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n"
      " 259       0 nvme0n1 1 0 8 0 1 0 8 0 0 10 10\n"
      " 259       1 nvme0n1p1 1 0 8 0 1 0 8 0 0 10 10\n"
      "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  ASSERT_EQ(disks.size(), 5U);
  EXPECT_EQ(disks.at("vda").read_bytes, 2000U * 512);
  EXPECT_EQ(disks.at("vda").write_bytes, 4000U * 512);
  EXPECT_EQ(disks.at("vda").io_ms, 7000U);
  EXPECT_TRUE(is_whole_disk("vda", disks));
  EXPECT_FALSE(is_whole_disk("vda1", disks));
  EXPECT_TRUE(is_whole_disk("nvme0n1", disks));
  EXPECT_FALSE(is_whole_disk("nvme0n1p1", disks));
  EXPECT_FALSE(is_whole_disk("loop0", disks));

  const auto mounts = parse_mounts(
      "proc /proc proc rw 0 0\n/dev/vda / ext4 rw,relatime 0 0\n"
      "/dev/vdb /mnt/my\\040data xfs rw 0 0\n");
  ASSERT_EQ(mounts.size(), 3U);
  EXPECT_EQ(mounts[2].path, "/mnt/my data");
  EXPECT_TRUE(is_disk_filesystem(mounts[1].type));
  EXPECT_FALSE(is_disk_filesystem(mounts[0].type));
}

TEST(HostSampleTest, RatesComeFromTheReadingBefore) {
  HostSample before;
  before.cpu = CpuStat{{100, 0, 50, 800, 10, 0, 0, 0}, 2, {}};
  before.network["eth0"] = {1000, 0, 0, 0, 500, 0, 0, 0};
  before.disks["vda"] = {10, 4096, 20, 8192, 100};
  HostSample now = before;
  now.taken = before.taken + std::chrono::seconds(2);
  now.cpu =
      CpuStat{{130, 0, 60, 850, 10, 0, 0, 0}, 2, {}};  // 90 ticks: 30 user, 10 system, 50 idle
  now.network["eth0"].rx_bytes = 3000;
  now.network["eth0"].tx_bytes = 100;  // went backwards (a reset): no rate
  now.disks["vda"] = {12, 4096 + 2048, 25, 8192, 1100};
  now.memory = MemoryStat{1000, 250, 0, 0};
  std::string out = "{";
  append_host_metrics(out, now, before);
  out += '}';
  simdjson::dom::parser parser;
  simdjson::dom::element record = parser.parse(out);
  EXPECT_NEAR(double(record["cpu"]["user_pct"]), 33.33, 0.01) << out;
  EXPECT_NEAR(double(record["cpu"]["system_pct"]), 11.11, 0.01);
  EXPECT_NEAR(double(record["cpu"]["idle_pct"]), 55.56, 0.01);
  EXPECT_DOUBLE_EQ(double(record["network"]["eth0"]["rx_bytes_per_s"]), 1000.0);
  EXPECT_TRUE(record["network"]["eth0"]["tx_bytes_per_s"].error()) << out;
  EXPECT_DOUBLE_EQ(double(record["disk"]["vda"]["read_bytes_per_s"]), 1024.0);
  EXPECT_DOUBLE_EQ(double(record["disk"]["vda"]["busy_pct"]), 50.0) << "1000 ms busy in 2 s";
  EXPECT_DOUBLE_EQ(double(record["memory"]["used_pct"]), 75.0);
}

TEST_F(HostTreeTest, EveryNewCollectorFromTwoReadings) {
  const std::string out = record_of_two_readings(
      "cpu  130 0 60 850 10 0 0 0 0 0\ncpu0 70 0 25 405 5 0 0 0 0 0\n"
      "cpu1 60 0 35 445 5 0 0 0 0 0\nctxt 3000\nbtime 1795000000\nprocesses 510\n"
      "procs_running 2\nprocs_blocked 0\n");
  EXPECT_EQ(out,
            R"("cpu":{"cores":2,"user_pct":33.33,"system_pct":11.11,"iowait_pct":0.00,)"
            R"("steal_pct":0.00,"idle_pct":55.56,"per_core":{)"
            R"("cpu0":{"user_pct":80.00,"system_pct":0.00,"iowait_pct":0.00,"steal_pct":0.00,)"
            R"("idle_pct":20.00},)"
            R"("cpu1":{"user_pct":15.38,"system_pct":15.38,"iowait_pct":0.00,"steal_pct":0.00,)"
            R"("idle_pct":69.23}}},)"
            R"("processes":{"running":2,"blocked":0,"total":2,"threads":187,"forks_per_s":5.0,)"
            R"("context_switches_per_s":1000.0},)"
            R"("pressure":{"cpu":{"some":{"avg10":1.50,"avg60":0.75,"avg300":0.25},)"
            R"("full":{"avg10":0.00,"avg60":0.00,"avg300":0.00}},)"
            R"("io":{"some":{"avg10":4.00,"avg60":2.00,"avg300":1.00}}},)"
            R"("tcp":{"close":0,"close_wait":0,"closing":0,"established":1,"fin_wait1":0,)"
            R"("fin_wait2":0,"last_ack":0,"listen":2,"new_syn_recv":0,"syn_recv":0,)"
            R"("syn_sent":0,"time_wait":1},)"
            R"("host":{"hostname":"web-1","kernel":"6.1.0-28-amd64",)"
            R"x("os":"Debian GNU/Linux 12 (bookworm)","boot_time":"2026-11-18T11:06:40.000Z",)x"
            R"("uptime_s":12346})");
}

TEST_F(HostTreeTest, MemoryLoadDevicesAndFilesystemsFromTwoReadings) {
  write_meminfo();
  config.collectors = {"memory", "load", "network", "disk", "filesystem"};
  auto [before, now] = read_devices_twice();
  fix_filesystem_figures(now);
  std::string out;
  append_host_metrics(out, now, before);
  EXPECT_EQ(out,
            R"("memory":{"total_bytes":1024000,"available_bytes":614400,"used_pct":40.00,)"
            R"("swap_total_bytes":204800,"swap_used_bytes":51200},)"
            R"("load":{"1m":0.50,"5m":0.40,"15m":0.30},)"
            R"("network":{"eth0":{"rx_bytes":1000,"tx_bytes":500,"rx_errors":1,"tx_errors":3,)"
            R"("rx_dropped":2,"tx_dropped":4,"rx_bytes_per_s":250.0,"tx_bytes_per_s":150.0}},)"
            R"("disk":{"vda":{"reads":100,"writes":50,"read_bytes_per_s":256000.0,)"
            R"("write_bytes_per_s":256000.0,"busy_pct":2.5}},)"
            R"("filesystem":{"/":{"type":"ext4","total_bytes":1000000,"used_bytes":700000,)"
            R"("available_bytes":250000,"used_pct":73.68,"inodes_used_pct":60.00},)"
            R"("/data":{"type":"xfs","total_bytes":4096,"used_bytes":4096,"available_bytes":0,)"
            R"("used_pct":100.00,"inodes_used_pct":100.00}})");
}

TEST_F(HostTreeTest, TopProcessesByCpuAndByMemory) {
  write("proc/1/stat", pid_stat("1 (systemd)", 100, 5, 3000));
  write("proc/42/stat", pid_stat("42 (my (odd) app)", 10, 900, 100));
  config.collectors = {"top_processes"};
  config.top_processes = 2;
  HostSample before = read_host_sample(config);
  write("proc/1/stat", pid_stat("1 (systemd)", 300, 5, 3000));         // 200 ticks in 2 s
  write("proc/42/stat", pid_stat("42 (my (odd) app)", 20, 900, 100));  // 10 ticks
  write("proc/77/stat", pid_stat("77 (cc1plus)", 5000, 1200, 50000));  // new: no share yet
  HostSample now = read_host_sample(config);
  now.taken = before.taken + std::chrono::seconds(2);
  ASSERT_TRUE(now.errors.empty()) << now.errors.front();
  std::string out;
  append_host_metrics(out, now, before);
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::string user = ::getpwuid(::getuid())->pw_name;
  EXPECT_EQ(
      out,
      fmt::format(
          R"x("top_processes":{{"by_cpu":[)x"
          R"x({{"pid":1,"command":"systemd","user":"{0}","cpu_pct":{1:.2f},"rss_bytes":{3}}},)x"
          R"x({{"pid":42,"command":"my (odd) app","user":"{0}","cpu_pct":{2:.2f},)x"
          R"x("rss_bytes":{4}}}],"by_rss":[)x"
          R"x({{"pid":77,"command":"cc1plus","user":"{0}","rss_bytes":{5}}},)x"
          R"x({{"pid":1,"command":"systemd","user":"{0}","cpu_pct":{1:.2f},"rss_bytes":{3}}}]}})x",
          user, 100.0 * 200 / ticks / 2, 100.0 * 10 / ticks / 2, 3000 * page, 100 * page,
          50000 * page));
}

TEST_F(HostTreeTest, WholeDisksAreThoseSysBlockLists) {
  write("proc/diskstats",
        " 253       0 vda 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n"
        " 253       1 vda1 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n"
        " 254       0 dm-0 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n"
        "   8       0 sdz 10 0 20 5 7 2 40 6 0 70 90 0 0 0 0\n"
        "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  for (const char* device : {"vda", "dm-0", "loop0"}) {
    std::filesystem::create_directories(dir / "sys" / "block" / device);
  }
  config.sys_dir = (dir / "sys").string();
  config.collectors = {"disk"};
  HostSample sample = read_host_sample(config);
  std::vector<std::string> disks;
  for (const auto& [name, counters] : sample.disks) disks.push_back(name);
  // What /sys/block lists decides (sdz is not a block device there: it went away).
  EXPECT_EQ(disks, (std::vector<std::string>{"dm-0", "vda"}));
  config.sys_dir = (dir / "no-sys").string();  // without /sys: names tell
  sample = read_host_sample(config);
  disks.clear();
  for (const auto& [name, counters] : sample.disks) disks.push_back(name);
  EXPECT_EQ(disks, (std::vector<std::string>{"dm-0", "sdz", "vda"}));
}

TEST_F(HostTreeTest, ACounterThatWentBackwardsGivesNoRateAndAMalformedFileIsNamed) {
  const std::string out = record_of_two_readings(
      "cpu  130 0 60 850 10 0 0 0 0 0\nctxt 10\nbtime 1795000000\nprocesses 1\n"
      "procs_running 2\nprocs_blocked 0\n");  // rebooted between: counters from zero again
  EXPECT_NE(out.find(R"("processes":{"running":2,"blocked":0,"total":2,"threads":187})"),
            std::string::npos)
      << out;
  write("proc/pressure/memory", "garbage\n");
  const HostSample broken = read_host_sample(config);
  ASSERT_EQ(broken.errors.size(), 1U);
  EXPECT_EQ(broken.errors[0], config.proc_dir + "/pressure/memory is not as expected");
  EXPECT_EQ(broken.pressure.size(), 2U) << "the other resources are still read";
}

TEST(HostSampleTest, DevicesThatComeOrGoAndCountersThatGoBackwards) {
  HostSample before;
  before.network["eth0"] = {1000, 0, 0, 0, 500, 0, 0, 0};
  before.disks["vda"] = {10, 4096, 20, 8192, 100};
  before.disks["vdb"] = {1, 512, 1, 512, 10};
  HostSample now;
  now.taken = before.taken + std::chrono::seconds(1);
  now.network["eth0"] = {2000, 0, 0, 0, 100, 0, 0, 0};  // tx went backwards
  now.network["eth1"] = {300, 0, 0, 0, 300, 0, 0, 0};   // new: no rate yet
  now.disks["vda"] = {10, 4096, 20, 8192, 100};         // vdb is gone
  EXPECT_EQ(counter_resets(now, before), (std::vector<std::string>{"network eth0 tx_bytes"}));
  std::string out = "{";
  append_host_metrics(out, now, before);
  out += '}';
  simdjson::dom::parser parser;
  simdjson::dom::element record = parser.parse(out);
  EXPECT_DOUBLE_EQ(double(record["network"]["eth0"]["rx_bytes_per_s"]), 1000.0) << out;
  EXPECT_TRUE(record["network"]["eth0"]["tx_bytes_per_s"].error()) << out;
  EXPECT_EQ(uint64_t(record["network"]["eth1"]["rx_bytes"]), 300U) << out;
  EXPECT_TRUE(record["network"]["eth1"]["rx_bytes_per_s"].error()) << out;
  EXPECT_TRUE(record["disk"]["vdb"].error()) << out;
  EXPECT_DOUBLE_EQ(double(record["disk"]["vda"]["read_bytes_per_s"]), 0.0) << out;
}

TEST(HostSampleTest, EveryDefaultCollectorReadsThisMachinesProc) {
  HostMetricsConfig config;  // the defaults, on the real /proc and /
  const HostSample sample = read_host_sample(config);
  EXPECT_TRUE(sample.errors.empty()) << sample.errors.front();
  ASSERT_TRUE(sample.cpu && sample.memory && sample.load && sample.processes && sample.tcp &&
              sample.host);
  EXPECT_GT(sample.cpu->cores, 0U);
  EXPECT_GT(sample.processes->total, 0U);
  EXPECT_FALSE(sample.host->hostname.empty());
  EXPECT_FALSE(sample.host->kernel.empty());
  EXPECT_GT(sample.host->uptime_s, 0);
  std::string out = "{";
  append_host_metrics(out, sample, sample);
  out += '}';
  simdjson::dom::parser parser;
  EXPECT_FALSE(parser.parse(out).error()) << out;
}

/// Takes nothing until told to, then everything: a queue without room, then with.
class GateSink final : public BatchSink {
 public:
  bool push(std::shared_ptr<Batch> batch, std::stop_token) override {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < batch->record_count(); ++i) records_.emplace_back(batch->record(i));
    return true;
  }
  PushResult push_until(std::shared_ptr<Batch> batch, std::stop_token stop,
                        std::chrono::steady_clock::time_point) override {
    if (!open_) return PushResult::kTimedOut;
    push(std::move(batch), stop);
    return PushResult::kQueued;
  }
  std::vector<std::string> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }
  std::atomic<bool> open_{false};

 private:
  std::mutex mutex_;
  std::vector<std::string> records_;
};

TEST(HostMetricsInputTest, SamplesWaitForRoomThenTheOldestAreDroppedAndCounted) {
  Metrics metrics;
  HostMetricsConfig config;
  config.interval = std::chrono::milliseconds(100);
  config.max_pending_samples = 3;
  HostMetricsInput input(config, {"host", "test-host", {}, &metrics});
  GateSink sink;
  std::jthread thread([&](std::stop_token stop) { ASSERT_TRUE(input.run(sink, stop)); });
  Counter& dropped = metrics.counter("drover_input_dropped_records_total",
                                     {{"input", "host"}, {"reason", "queue_full"}});
  ASSERT_TRUE(testing::wait_until([&] { return dropped.value() >= 2; }));
  sink.open_ = true;
  ASSERT_TRUE(testing::wait_until([&] { return sink.records().size() >= 5; }));
  thread.request_stop();
  thread.join();
  const auto records = sink.records();
  std::string previous;
  simdjson::dom::parser parser;
  for (const auto& record : records) {
    simdjson::dom::element parsed = parser.parse(record);
    EXPECT_EQ(std::string_view(parsed["host"]), "test-host");
    EXPECT_GT(int64_t(parsed["cpu"]["cores"]), 0) << record;
    EXPECT_GT(int64_t(parsed["memory"]["total_bytes"]), 0) << record;
    const std::string timestamp{std::string_view(parsed["@timestamp"])};
    EXPECT_GT(timestamp, previous) << "oldest first";
    previous = timestamp;
  }
  EXPECT_EQ(metrics.counter("drover_input_records_total", {{"input", "host"}}).value(),
            records.size());
}

TEST(HostMetricsInputTest, WithTheOtelSchemaEachDataPointIsARecord) {
  Metrics metrics;
  HostMetricsConfig config;  // the default collectors, on this machine's /proc
  config.interval = std::chrono::milliseconds(100);
  config.schema = MetricsSchema::kOtel;
  HostMetricsInput input(config, {"host", "test-host", {}, &metrics});
  GateSink sink;
  sink.open_ = true;
  std::jthread thread([&](std::stop_token stop) { ASSERT_TRUE(input.run(sink, stop)); });
  // A second reading's records: utilization needs the one before.
  const auto has = [&](std::string_view name) {
    const auto records = sink.records();
    return std::any_of(records.begin(), records.end(), [&](const std::string& r) {
      return r.find(fmt::format("\"name\":\"{}\"", name)) != std::string::npos;
    });
  };
  ASSERT_TRUE(testing::wait_until([&] { return has("system.cpu.utilization"); }));
  thread.request_stop();
  thread.join();
  const auto records = sink.records();
  EXPECT_EQ(metrics.counter("drover_input_records_total", {{"input", "host"}}).value(),
            records.size());
  std::set<std::string> names;
  simdjson::dom::parser parser;
  for (const auto& record : records) {
    auto result = parser.parse(record);
    ASSERT_FALSE(result.error()) << record;
    simdjson::dom::element parsed = result.value();
    EXPECT_EQ(std::string_view(parsed["host"]), "test-host");
    EXPECT_EQ(std::string_view(parsed["input"]), "host");
    EXPECT_EQ(std::string_view(parsed["resource"]["os.type"]), "linux") << record;
    EXPECT_FALSE(std::string_view(parsed["resource"]["host.name"]).empty()) << record;
    EXPECT_FALSE(parsed["unit"].error()) << record;
    EXPECT_FALSE(parsed["value"].error()) << record;
    EXPECT_TRUE(parsed["attributes"].is_object()) << record;
    const std::string_view type = parsed["type"];
    EXPECT_TRUE(type == "gauge" || type == "sum") << record;
    names.emplace(std::string_view(parsed["name"]));
  }
  for (const char* name : {"system.cpu.time", "system.memory.usage", "system.cpu.load_average.1m",
                           "system.filesystem.usage", "system.processes.count",
                           "system.network.connections", "system.uptime"}) {
    EXPECT_EQ(names.count(name), 1U) << name << " among the default collectors' metrics";
  }
}

}  // namespace
}  // namespace drover::inputs
