// The host metrics input: /proc parsing from fixed text, the record two readings make, and
// what happens to samples when the queues have no room.
#include "inputs/host_metrics/host_metrics_input.h"
#include "inputs/host_metrics/proc_stats.h"
#include "tests/support/wait.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <sstream>
#include <thread>

namespace drover::inputs {
namespace {

TEST(HostMetricsConfigTest, ListsEveryProblemAtOnce) {
  std::istringstream in(
      "interval = \"10ms\"\ncollectors = [\"cpu\", \"gpu\"]\nfilesystems = [\"data\"]\n"
      "proc_dir = \"proc\"\n");
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, "inputs.host", diagnostics);
  const HostMetricsConfig config = parse_host_metrics_config(reader);
  reader.finish();
  EXPECT_EQ(diagnostics.problems(),
            (std::vector<std::string>{
                "drover.toml:1: inputs.host.interval: must be at least 100ms",
                "drover.toml:2: inputs.host.collectors: 'gpu' is not one of: cpu, memory, load, "
                "network, disk, filesystem",
                "drover.toml:3: inputs.host.filesystems: lists mount points, absolute paths "
                "('data' is not)",
                "drover.toml:4: inputs.host.proc_dir: must be an absolute path"}));
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
  before.cpu = CpuStat{{100, 0, 50, 800, 10, 0, 0, 0}, 2};
  before.network["eth0"] = {1000, 0, 0, 0, 500, 0, 0, 0};
  before.disks["vda"] = {10, 4096, 20, 8192, 100};
  HostSample now = before;
  now.taken = before.taken + std::chrono::seconds(2);
  now.cpu = CpuStat{{130, 0, 60, 850, 10, 0, 0, 0}, 2};  // 90 ticks: 30 user, 10 system, 50 idle
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

/// Takes nothing until told to, then everything: a queue without room, then with.
class GateSink final : public BatchSink {
 public:
  bool push(std::shared_ptr<Batch> batch, std::stop_token) override {
    std::lock_guard lock(mutex_);
    records_.emplace_back(batch->record(0));
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

}  // namespace
}  // namespace drover::inputs
