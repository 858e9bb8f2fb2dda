// Lines appended to files → the drover process → Kafka (librdkafka's mock cluster) → a
// consumer that checks every line arrived exactly once and in per-file order, and that a
// broker outage never advances the checkpoint past what Kafka acknowledged (I1).
#include "tests/support/checkpoints.h"
#include "tests/support/drover_process.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace drover {
namespace {

using testing::append_file;
using testing::DroverProcess;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

constexpr int kPartitions = 3;

std::string lines_for(const std::string& file, int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += fmt::format("{} {:07}\n", file, i);
  return out;
}

class FileToKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir / "logs");
    kafka.create_topic("itest", kPartitions);
  }

  std::string config(bool with_stdout = false, const std::string& kafka_extra = "",
                     const std::string& input_extra = "") const {
    std::string text =
        fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = "127.0.0.1:0"
log_level = "debug"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"
poll_interval = "10ms"
rescan_interval = "100ms"
checkpoint_interval = "20ms"
{3}

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "itest"
key = "{{path}}"
linger = "5ms"
{2}
)",
                    dir.path().string(), kafka.bootstrap(), kafka_extra, input_extra);
    if (with_stdout) text += "\n[outputs.console]\ntype = \"stdout\"\ninputs = [\"app\"]\n";
    const auto path = dir / "drover.toml";
    testing::write_file(path, text);
    return path.string();
  }

  std::unique_ptr<DroverProcess> start_drover(bool with_stdout = false,
                                              const std::string& kafka_extra = "",
                                              const std::string& input_extra = "") {
    return std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", config(with_stdout, kafka_extra, input_extra)},
        dir / "stdout.txt", dir / fmt::format("drover-{}.log", runs_++));
  }

  uint64_t checkpoint_of(const std::string& file) const {
    return testing::committed_offset(dir / "data", "app", dir / "logs" / file);
  }

  static void stop(DroverProcess& drover) {
    drover.signal(SIGTERM);
    ASSERT_EQ(drover.wait_exit(), 0) << drover.log();
  }

  TempDir dir;
  MockKafka kafka{3};
  int runs_ = 0;
};

TEST_F(FileToKafkaTest, EveryLineArrivesExactlyOnceInPerFileOrder) {
  const std::vector<std::string> files{"a.log", "b.log", "c.log"};
  constexpr int kLinesPerFile = 20'000;
  for (const auto& f : files) append_file(dir / "logs" / f, lines_for(f, 0, kLinesPerFile / 2));
  auto drover = start_drover();
  // The other half is appended while drover is tailing.
  for (const auto& f : files) {
    for (int chunk = kLinesPerFile / 2; chunk < kLinesPerFile; chunk += 1000) {
      append_file(dir / "logs" / f, lines_for(f, chunk, chunk + 1000));
    }
  }
  const size_t expected = files.size() * kLinesPerFile;
  TopicReader reader(kafka.bootstrap(), "itest", kPartitions);
  ASSERT_TRUE(
      wait_until([&] { return reader.poll().size() >= expected; }, std::chrono::seconds(60)))
      << "consumed " << reader.records().size() << " of " << expected << "\n"
      << drover->log();

  // While running, the admin endpoint accounts for every record (I8) and reports health.
  std::string admin = testing::read_file(dir / "data" / "admin.address");
  admin.pop_back();
  const std::string delivered =
      fmt::format("drover_output_records_delivered_total{{output=\"kafka\"}} {}\n", expected);
  ASSERT_TRUE(wait_until([&] {
    return testing::http_get(admin, "/metrics").second.find(delivered) != std::string::npos;
  })) << testing::http_get(admin, "/metrics").second;
  const auto [metrics_status, metrics] = testing::http_get(admin, "/metrics");
  EXPECT_EQ(metrics_status, 200);
  EXPECT_NE(metrics.find(fmt::format("drover_input_records_total{{input=\"app\"}} {}\n", expected)),
            std::string::npos)
      << metrics;
  EXPECT_EQ(testing::http_get(admin, "/healthz"), (std::pair<int, std::string>{200, "ok\n"}));
  EXPECT_EQ(testing::http_get(admin, "/readyz").first, 200);
  EXPECT_EQ(testing::http_get(admin, "/nope").first, 404);
  EXPECT_NE(metrics.find("drover_queue_spilled_batches_total{output=\"kafka\"} 0\n"),
            std::string::npos)
      << metrics;
  stop(*drover);
  // Kafka kept up: the queue never touched the disk, not even at stop.
  EXPECT_TRUE(std::filesystem::is_empty(dir / "data" / "queue" / "kafka"));

  EXPECT_EQ(reader.total_records(kPartitions), static_cast<int64_t>(expected)) << "duplicates";
  std::map<std::string, std::vector<const testing::ConsumedRecord*>> by_key;
  std::set<std::string> values;
  for (const auto& r : reader.poll()) {
    by_key[r.key].push_back(&r);
    values.insert(r.value);
  }
  EXPECT_EQ(values.size(), expected);
  ASSERT_EQ(by_key.size(), files.size());
  for (const auto& f : files) {
    const auto& records = by_key[(dir / "logs" / f).string()];
    ASSERT_EQ(records.size(), static_cast<size_t>(kLinesPerFile)) << f;
    for (int i = 0; i < kLinesPerFile; ++i) {
      ASSERT_EQ(records[static_cast<size_t>(i)]->value, fmt::format("{} {:07}", f, i)) << "order";
      ASSERT_EQ(records[static_cast<size_t>(i)]->partition, records[0]->partition);
    }
  }
}

TEST_F(FileToKafkaTest, WithoutADiskQueueAnOutageNeverAdvancesTheCheckpoint) {
  const std::string memory_only = "queue = { disk_bytes = 0 }";
  const auto log = dir / "logs" / "a.log";
  append_file(log, lines_for("a", 0, 100));
  const uint64_t delivered_size = std::filesystem::file_size(log);
  auto drover = start_drover(/*with_stdout=*/true, memory_only);
  TopicReader reader(kafka.bootstrap(), "itest", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 100; })) << drover->log();
  ASSERT_TRUE(wait_until([&] { return checkpoint_of("a.log") == delivered_size; }))
      << checkpoint_of("a.log");

  kafka.set_all_brokers_down();
  append_file(log, lines_for("a", 100, 150));
  // The stdout output shows drover has read the new lines; Kafka cannot have them.
  ASSERT_TRUE(wait_until([&] {
    return testing::read_file(dir / "stdout.txt").find("a 0000149\n") != std::string::npos;
  })) << drover->log();
  stop(*drover);
  EXPECT_EQ(checkpoint_of("a.log"), delivered_size) << drover->log();
  EXPECT_NE(drover->log().find("not acknowledged by Kafka"), std::string::npos) << drover->log();

  kafka.set_all_brokers_up();
  drover = start_drover(false, memory_only);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 150; })) << drover->log();
  ASSERT_TRUE(
      wait_until([&] { return checkpoint_of("a.log") == std::filesystem::file_size(log); }));
  stop(*drover);
  EXPECT_EQ(reader.total_records(kPartitions), 150);
  std::set<std::string> values;
  for (const auto& r : reader.poll()) values.insert(r.value);
  EXPECT_EQ(values.size(), 150U);
  EXPECT_EQ(*values.rbegin(), "a 0000149");
}

TEST_F(FileToKafkaTest, StopDuringAnOutageSavesTheRestToDiskAndTheNextStartSendsItOnce) {
  const auto log = dir / "logs" / "a.log";
  append_file(log, lines_for("a", 0, 100));
  auto drover = start_drover(/*with_stdout=*/true);
  TopicReader reader(kafka.bootstrap(), "itest", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 100; })) << drover->log();

  kafka.set_all_brokers_down();
  append_file(log, lines_for("a", 100, 150));
  ASSERT_TRUE(wait_until([&] {
    return testing::read_file(dir / "stdout.txt").find("a 0000149\n") != std::string::npos;
  })) << drover->log();
  stop(*drover);
  // Saved in the queue, so the file's position moves on: the file may rotate away meanwhile.
  EXPECT_EQ(checkpoint_of("a.log"), std::filesystem::file_size(log)) << drover->log();
  EXPECT_NE(drover->log().find("saved 1 batch(es) to its disk queue"), std::string::npos)
      << drover->log();
  const auto [code, report] =
      testing::run_drover({"queue", "verify", (dir / "data" / "queue" / "kafka").string()});
  EXPECT_EQ(code, 0) << report;
  EXPECT_NE(report.find("1 pending"), std::string::npos) << report;

  kafka.set_all_brokers_up();
  drover = start_drover();
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 150; })) << drover->log();
  stop(*drover);
  EXPECT_EQ(reader.total_records(kPartitions), 150) << "nothing sent twice";
  std::vector<std::string> values;
  for (const auto& r : reader.poll()) values.push_back(r.value);
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << "one key, one partition, in order";
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()).size(), 150U);
  const auto [code_after, report_after] =
      testing::run_drover({"queue", "verify", (dir / "data" / "queue" / "kafka").string()});
  EXPECT_NE(report_after.find("0 segment(s)"), std::string::npos) << report_after;
}

TEST_F(FileToKafkaTest, JsonLinesCarryTheirKeyAndTimeThroughTheDiskQueueAndBrokenOnesStillShip) {
  const std::string json_input =
      "parser = \"json\"\ntimestamp_field = \"time\"\nkey_field = \"user.id\"\n";
  const auto log = dir / "logs" / "a.log";
  const std::string lines[] = {
      R"({"time":"2026-11-23T09:56:56.123Z","user":{"id":"u1"},"n":0})",
      R"(not JSON at all, n 1)",
      R"({"time":1795427817,"user":{"id":42},"n":2})",
      R"({"user":{"id":"u3"},"n":3})",
      R"({"time":"2026-11-23T09:56:58Z","n":4})",
  };
  // Kafka is away: the records are saved to the disk queue at stop and sent by the next start,
  // so what the JSON lines lifted must survive the disk.
  kafka.set_all_brokers_down();
  auto drover = start_drover(/*with_stdout=*/true, "", json_input);
  for (const auto& line : lines) append_file(log, line + "\n");
  ASSERT_TRUE(wait_until([&] {
    return testing::read_file(dir / "stdout.txt").find("\"n\":4}") != std::string::npos;
  })) << drover->log();
  std::string admin = testing::read_file(dir / "data" / "admin.address");
  admin.pop_back();
  const std::string metrics = testing::http_get(admin, "/metrics").second;
  for (const char* counter :
       {"drover_input_json_invalid_total", "drover_input_json_timestamp_invalid_total",
        "drover_input_json_key_missing_total"}) {
    EXPECT_NE(metrics.find(fmt::format("{}{{input=\"app\"}} 1\n", counter)), std::string::npos)
        << counter << "\n"
        << metrics;
  }
  EXPECT_NE(drover->log().find("a.log at offset 61: Problem while parsing an atom"),
            std::string::npos)
      << drover->log();
  EXPECT_NE(drover->log().find("a.log at offset 125: no field \"time\"; shipped with the time it "
                               "was read"),
            std::string::npos)
      << drover->log();
  stop(*drover);
  EXPECT_NE(drover->log().find("saved 1 batch(es) to its disk queue"), std::string::npos)
      << drover->log();

  kafka.set_all_brokers_up();
  const int64_t restarted_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  drover = start_drover(false, "", json_input);
  TopicReader reader(kafka.bootstrap(), "itest", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 5; })) << drover->log();
  stop(*drover);
  ASSERT_EQ(reader.total_records(kPartitions), 5);
  std::map<std::string, testing::ConsumedRecord> by_value;
  for (const auto& r : reader.records()) by_value[r.value] = r;
  const std::string path = (dir / "logs" / "a.log").string();
  // Shipped as written (codec raw); the key and time of the line where it has them, else the
  // output's key ({path}) and the time drover read the line (before this restart).
  EXPECT_EQ(by_value[lines[0]].key, "u1");
  EXPECT_EQ(by_value[lines[0]].timestamp_ms, 1795427816123);
  EXPECT_EQ(by_value[lines[1]].key, path);
  EXPECT_LT(by_value[lines[1]].timestamp_ms, restarted_ms);
  EXPECT_GT(by_value[lines[1]].timestamp_ms, restarted_ms - 120'000);
  EXPECT_EQ(by_value[lines[2]].key, "42");
  EXPECT_EQ(by_value[lines[2]].timestamp_ms, 1795427817000);
  EXPECT_EQ(by_value[lines[3]].key, "u3");
  EXPECT_LT(by_value[lines[3]].timestamp_ms, restarted_ms);
  EXPECT_EQ(by_value[lines[4]].key, path);
  EXPECT_EQ(by_value[lines[4]].timestamp_ms, 1795427818000);
}

}  // namespace
}  // namespace drover
