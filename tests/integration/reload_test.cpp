// SIGHUP reloads (I9) against the real binary and librdkafka's mock cluster: under a steady
// stream of lines, valid and invalid configs, an added and later removed input and a restarted
// output; the process lives on and every line reaches Kafka exactly once.
#include "tests/support/drover_process.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

constexpr int kPartitions = 3;

struct PipelineShape {
  bool with_b = false;  // a second file input, read by the same output
  std::string linger = "5ms";
};

/// [inputs.NAME] reading <dir>/logs/NAME.log.
std::string file_input(const TempDir& dir, const std::string& name) {
  return fmt::format(R"(
[inputs.{1}]
type = "file"
include = ["{0}/logs/{1}.log"]
codec = "raw"
poll_interval = "10ms"
rescan_interval = "100ms"
checkpoint_interval = "20ms"
)",
                     dir.path().string(), name);
}

std::string config_text(const TempDir& dir, const std::string& bootstrap,
                        const PipelineShape& shape) {
  std::string text = fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "5s"
admin_address = "127.0.0.1:0"
)",
                                 dir.path().string());
  text += file_input(dir, "a");
  if (shape.with_b) text += file_input(dir, "b");
  text += fmt::format(R"(
[outputs.kafka]
type = "kafka"
inputs = [{0}]
brokers = ["{1}"]
topic = "reload"
key = "{{path}}"
linger = "{2}"
)",
                      shape.with_b ? R"("a", "b")" : R"("a")", bootstrap, shape.linger);
  return text;
}

long long reloads(const std::string& admin, const std::string& result) {
  return testing::metric_value(testing::http_get(admin, "/metrics").second,
                               fmt::format("drover_reloads_total{{result=\"{}\"}}", result));
}

TEST(ReloadTest, ThirtyReloadsUnderLoadLoseAndDuplicateNothing) {
  TempDir dir;
  MockKafka kafka;
  kafka.create_topic("reload", kPartitions);
  std::filesystem::create_directories(dir / "logs");
  PipelineShape shape;
  const auto config = dir / "drover.toml";
  testing::write_file(config, config_text(dir, kafka.bootstrap(), shape));

  DroverProcess drover({"run", "--config", config.string()}, dir / "out", dir / "err");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "data" / "admin.address"); }))
      << drover.log();
  const std::string admin = testing::read_file(dir / "data" / "admin.address");

  // Lines go to both files; b.log is read once input b exists (from its start). Before b is
  // removed, its writer stops and drover reads all of it: what a removed input read is still
  // delivered.
  std::atomic<int> written{0};
  std::atomic<int> written_b{0};
  std::atomic<bool> writing{true};
  std::atomic<bool> writing_b{true};
  std::thread writer([&] {
    for (int i = 0; writing; ++i) {
      testing::append_file(dir / "logs" / "a.log", fmt::format("a {:07}\n", i));
      if (writing_b) {
        testing::append_file(dir / "logs" / "b.log", fmt::format("b {:07}\n", i));
        written_b = i + 1;
      }
      written = i + 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a steady rate, not a sync
    }
  });

  TopicReader reader(kafka.bootstrap(), "reload", kPartitions);
  long long expected_ok = 0;
  long long expected_failed = 0;
  const int kReloads = 30;
  for (int i = 0; i < kReloads; ++i) {
    // Spread over the run: the next reload waits for more lines to be written.
    const int lines_before = written;
    ASSERT_TRUE(wait_until([&] {
      reader.poll();
      return written >= lines_before + 550;  // about 1.3 s: 30 reloads in 40 s
    }));
    bool valid = true;
    std::string text;
    if (i % 4 == 2) {
      text = "[agent\ndata_dir = \"x\"\n";  // syntax error
      valid = false;
    } else if (i % 4 == 3 && i % 8 != 7) {
      text = config_text(dir, kafka.bootstrap(), shape) + "\n[inputs.a.bogus]\nx = 1\n";
      valid = false;
    } else {
      if (i == 5) shape.with_b = true;
      if (i == 21) {
        writing_b = false;
        ASSERT_TRUE(wait_until([&] {
          reader.poll();
          return testing::metric_value(testing::http_get(admin, "/metrics").second,
                                       R"(drover_input_records_total{input="b"})") == written_b;
        })) << drover.log();
        shape.with_b = false;
      }
      if (i == 9 || i == 17 || i == 25) shape.linger = shape.linger == "5ms" ? "50ms" : "5ms";
      text = config_text(dir, kafka.bootstrap(), shape);
    }
    testing::write_file(config, text);
    (valid ? expected_ok : expected_failed) += 1;
    drover.signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] {
      reader.poll();
      return reloads(admin, "ok") == expected_ok && reloads(admin, "failed") == expected_failed;
    })) << "reload "
        << i << "\n"
        << drover.log();
    ASSERT_TRUE(drover.running()) << drover.log();
  }
  writing = false;
  writer.join();
  // The last valid config stays on disk: the same the agent runs.
  testing::write_file(config, config_text(dir, kafka.bootstrap(), shape));

  const size_t total = static_cast<size_t>(written + written_b);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= total; }, std::chrono::seconds(60)))
      << reader.records().size() << " of " << total << "\n"
      << drover.log();
  std::map<std::string, int> seen;
  std::map<std::string, std::string> last_of_file;  // per file, in order (one partition each)
  for (const auto& record : reader.poll()) {
    ++seen[record.value];
    const std::string file = record.value.substr(0, 1);
    EXPECT_LT(last_of_file[file], record.value) << "out of order";
    last_of_file[file] = record.value;
  }
  EXPECT_EQ(seen.size(), total);
  for (const auto& [line, count] : seen) ASSERT_EQ(count, 1) << line << " arrived " << count;

  EXPECT_EQ(reloads(admin, "ok"), expected_ok);
  EXPECT_EQ(reloads(admin, "failed"), expected_failed);
  EXPECT_TRUE(drover.running());
  const std::string log = drover.log();
  EXPECT_NE(log.find("reload applied: inputs +b; routes of kafka"), std::string::npos) << log;
  EXPECT_NE(log.find("reload applied: outputs ~kafka"), std::string::npos) << log;
  EXPECT_NE(log.find("reload applied: inputs -b; routes of kafka"), std::string::npos) << log;
  EXPECT_NE(log.find("unknown key"), std::string::npos) << log;
  drover.signal(SIGTERM);
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
}

TEST(ReloadTest, SighupWhileStartingOrStoppingNeverEndsTheProcessAbnormally) {
  TempDir dir;
  MockKafka kafka;
  kafka.create_topic("reload", kPartitions);
  std::filesystem::create_directories(dir / "logs");
  const auto config = dir / "drover.toml";
  testing::write_file(config, config_text(dir, kafka.bootstrap(), {}));
  DroverProcess drover({"run", "--config", config.string()}, dir / "out", dir / "err");
  // drover blocks SIGHUP before it reads the config, so once it made its data directory a
  // SIGHUP waits for the pipelines to run, then reloads.
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "data"); }));
  drover.signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "data" / "admin.address"); }))
      << drover.log();
  const std::string admin = testing::read_file(dir / "data" / "admin.address");
  ASSERT_TRUE(wait_until([&] { return reloads(admin, "ok") == 1; })) << drover.log();
  EXPECT_TRUE(drover.running());
  // During the stop a SIGHUP is ignored: the stop stays lossless and ends with 0.
  drover.signal(SIGTERM);
  drover.signal(SIGHUP);
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
  EXPECT_EQ(drover.log().find("SIGHUP: reading", drover.log().find("received SIGTERM")),
            std::string::npos)
      << drover.log();
}

}  // namespace
}  // namespace drover
