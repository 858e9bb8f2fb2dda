// drover SIGKILLed at random moments, over and over, while lines are appended and the brokers go
// down and up (ARCHITECTURE I1): at the end every line is in Kafka. Duplicates are allowed after a
// crash (at-least-once) and are counted; they stay within what can be in flight at a crash.
#include "tests/support/drover_process.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <thread>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

constexpr int kKills = 50;
constexpr uint64_t kQueueMemory = 64 << 10;

TEST(CrashTest, KilledFiftyTimesWhileBrokersComeAndGoLosesNothing) {
  TempDir dir;
  if (std::getenv("DROVER_KEEP_TEST_DIRS") != nullptr) std::printf("dir %s\n", dir.path().c_str());
  MockKafka kafka(1);
  kafka.create_topic("crash", 1);
  std::filesystem::create_directories(dir / "logs");
  testing::write_file(dir / "drover.toml",
                      fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = ""

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"
poll_interval = "10ms"
rescan_interval = "50ms"
checkpoint_interval = "50ms"
batch_bytes = "4KiB"

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "crash"
key = "{{path}}"
linger = "5ms"
delivery_timeout = "2s"
retry_backoff = "50ms"
retry_backoff_max = "200ms"
queue = {{ memory_bytes = {2}, disk_bytes = "16MiB", spill_after = "0s" }}

[outputs.kafka.librdkafka]
"reconnect.backoff.max.ms" = 500
)",
                                  dir.path().string(), kafka.bootstrap(), kQueueMemory));
  const char* seed_text = std::getenv("DROVER_TEST_SEED");
  const unsigned seed =
      seed_text != nullptr ? static_cast<unsigned>(std::atoi(seed_text)) : std::random_device{}();
  std::printf("seed %u (set DROVER_TEST_SEED to repeat)\n", seed);
  std::mt19937 random(seed);
  const auto pick = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };

  // Read while the test runs: the mock cluster keeps only the newest ~5 MiB of a partition.
  TopicReader reader(kafka.bootstrap(), "crash", 1);
  int lines = 0;
  bool brokers_up = true;
  const auto run = [&](int n) {
    return std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", (dir / "drover.toml").string()},
        dir / "stdout.txt", dir / fmt::format("drover-{}.log", n));
  };
  for (int kill = 0; kill < kKills; ++kill) {
    auto drover = run(kill);
    ASSERT_TRUE(wait_until([&] { return drover->log().find("started:") != std::string::npos; }))
        << drover->log();
    const std::string file = pick(0, 1) == 0 ? "a.log" : "b.log";
    std::string chunk;
    // Enough that a few cycles of outage fill the memory budget and the queue goes to disk (at
    // once: spill_after = 0, since a kill comes within 400 ms).
    for (int n = pick(200, 2000); n > 0; --n) {
      chunk += fmt::format("{} line {:06}\n", file, lines++);
    }
    testing::append_file(dir / "logs" / file, chunk);
    if (pick(0, 2) == 0) {
      brokers_up ? kafka.set_all_brokers_down() : kafka.set_all_brokers_up();
      brokers_up = !brokers_up;
    }
    // A random moment to die at: not a wait for anything.
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(0, 400)));
    drover->signal(SIGKILL);
    ASSERT_EQ(drover->wait_exit(), 128 + SIGKILL);
    reader.poll();
  }

  kafka.set_all_brokers_up();
  auto drover = run(kKills);
  std::map<std::string, int> seen;
  EXPECT_TRUE(wait_until(
      [&] {
        reader.poll();
        seen.clear();
        for (const auto& r : reader.records()) ++seen[r.value];
        return seen.size() >= static_cast<size_t>(lines);
      },
      std::chrono::seconds(60)))
      << seen.size() << " of " << lines << " distinct lines arrived\n"
      << drover->log();
  drover->signal(SIGTERM);
  EXPECT_EQ(drover->wait_exit(), 0) << drover->log();

  // How often a start found batches on disk, and found a write a kill had cut short.
  int starts_with_disk_batches = 0;
  int torn_writes = 0;
  for (int n = 0; n <= kKills; ++n) {
    const std::string log = testing::read_file(dir / fmt::format("drover-{}.log", n));
    if (log.find("wait on disk to be sent") != std::string::npos) ++starts_with_disk_batches;
    if (log.find("cut a write cut short") != std::string::npos) ++torn_writes;
    EXPECT_EQ(log.find("LOST"), std::string::npos) << "a kill never damages synced data\n" << log;
  }
  std::printf("%d of %d starts replayed batches from the disk queue; %d cut a torn write\n",
              starts_with_disk_batches, kKills + 1, torn_writes);
  EXPECT_GT(starts_with_disk_batches, 0) << "the disk queue was never exercised";

  size_t missing = 0;
  std::string missing_ranges;
  for (int n = 0; n < lines; ++n) {
    const std::string a = fmt::format("a.log line {:06}", n);
    const std::string b = fmt::format("b.log line {:06}", n);
    if (seen.contains(a) || seen.contains(b)) continue;
    if (missing++ == 0 || !missing_ranges.ends_with(fmt::format("-{}", n - 1))) {
      missing_ranges += fmt::format(" {}-{}", n, n);
    } else {
      missing_ranges.resize(missing_ranges.rfind('-') + 1);
      missing_ranges += std::to_string(n);
    }
  }
  if (missing > 0) std::printf("missing lines:%s\n", missing_ranges.c_str());
  const size_t duplicates = reader.records().size() - seen.size();
  // At a crash, what may be sent again is what was not yet committed: at most what the queue's
  // memory and librdkafka hold (both sized from memory_bytes), in lines of ~25 bytes.
  const size_t window_lines = 2 * kQueueMemory / 20;
  std::printf("%d kills, %d lines: missing %zu, duplicates %zu (bound %zu)\n", kKills, lines,
              missing, duplicates, kKills * window_lines);
  EXPECT_EQ(missing, 0U);
  EXPECT_EQ(seen.size(), static_cast<size_t>(lines)) << "no line that was never written";
  EXPECT_LE(duplicates, kKills * window_lines);
}

}  // namespace
}  // namespace drover
