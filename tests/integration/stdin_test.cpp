// The console producer: `drover produce` (and a stdin input) → Kafka (librdkafka's mock
// cluster). Every line arrives with its key and value, in order per partition; lines typed
// slowly go out without waiting for the end; unreachable brokers end in exit 1 and a message.
#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <map>
#include <unistd.h>

namespace drover {
namespace {

class StdinTest : public ::testing::Test {
 protected:
  /// A file of `count` lines "k<n % 7>:value <n>" to read as standard input.
  int keyed_lines(int count) {
    std::string text;
    for (int n = 0; n < count; ++n) text += fmt::format("k{}:value {}\n", n % 7, n);
    testing::write_file(dir / "input.txt", text);
    return ::open((dir / "input.txt").c_str(), O_RDONLY | O_CLOEXEC);
  }

  testing::TempDir dir;
  testing::MockKafka kafka;
};

TEST_F(StdinTest, ProduceShipsEveryLineWithItsKeyInOrderPerPartitionAndExitsZero) {
  constexpr int kLines = 100'000;
  kafka.create_topic("console", 3);
  const int input = keyed_lines(kLines);
  ASSERT_GE(input, 0);
  testing::DroverProcess drover(
      {"produce", "--brokers", kafka.bootstrap(), "--topic", "console", "--key-separator", ":"},
      dir / "stdout.txt", dir / "stderr.txt", 0, input);
  ::close(input);
  // The mock cluster keeps only the newest ~5 MiB per partition: read while it produces.
  testing::TopicReader reader(kafka.bootstrap(), "console", 3);
  ASSERT_TRUE(
      testing::wait_until([&] { return reader.poll().size() >= kLines; }, std::chrono::seconds(60)))
      << drover.log();
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
  EXPECT_NE(drover.log().find("drover: 100000 records (1.0 MiB) sent to Kafka, 0 failed"),
            std::string::npos)
      << drover.log();

  std::map<std::string, int> partition_of_key;
  std::map<std::string, int> last_of_key;
  for (const auto& record : reader.poll()) {
    ASSERT_EQ(record.key.size(), 2U) << record.value;
    const int n = std::stoi(record.value.substr(record.value.find(' ') + 1));
    EXPECT_EQ(record.key, fmt::format("k{}", n % 7));
    EXPECT_EQ(record.value, fmt::format("value {}", n));
    // One key, one partition, and its lines in the order they were read.
    auto [partition, first] = partition_of_key.emplace(record.key, record.partition);
    EXPECT_EQ(partition->second, record.partition) << record.key;
    auto [last, new_key] = last_of_key.emplace(record.key, n);
    if (!new_key) {
      EXPECT_GT(n, last->second) << record.key;
      last->second = n;
    }
  }
  EXPECT_EQ(reader.poll().size(), static_cast<size_t>(kLines));
}

TEST_F(StdinTest, LinesTypedSlowlyGoOutBeforeTheEndAndALineWithoutAKeyFailsTheRun) {
  kafka.create_topic("console", 1);
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  testing::DroverProcess drover(
      {"produce", "--brokers", kafka.bootstrap(), "--topic", "console", "--key-separator", "=>"},
      dir / "stdout.txt", dir / "stderr.txt", 0, pipe_fds[0]);
  ::close(pipe_fds[0]);
  testing::TopicReader reader(kafka.bootstrap(), "console", 1);
  const std::string first = "user-1=>logged in\n";
  ASSERT_EQ(::write(pipe_fds[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() == 1; })) << drover.log();
  EXPECT_EQ(reader.poll()[0].key, "user-1");
  EXPECT_EQ(reader.poll()[0].value, "logged in");
  const std::string rest = "no separator here\nuser-2=>a=>b\n";
  ASSERT_EQ(::write(pipe_fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  ::close(pipe_fds[1]);
  EXPECT_EQ(drover.wait_exit(), 1) << drover.log();
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= 2; }));
  ASSERT_EQ(reader.poll().size(), 2U);
  EXPECT_EQ(reader.poll()[1].key, "user-2");
  EXPECT_EQ(reader.poll()[1].value, "a=>b");
  const std::string log = drover.log();
  EXPECT_NE(log.find("the line at byte 18 has no key separator \"=>\"; not sent"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("drover: 2 records (0.0 MiB) sent to Kafka, 0 failed; 1 lines without the "
                     "key separator \"=>\" not sent"),
            std::string::npos)
      << log;
}

TEST_F(StdinTest, UnreachableBrokersEndInExitOneAndAMessageAfterTheTimeout) {
  const int input = keyed_lines(10);
  const std::string nowhere = fmt::format("127.0.0.1:{}", testing::free_port());
  testing::DroverProcess drover({"produce", "--brokers", nowhere, "--topic", "console",
                                 "--key-separator", ":", "--timeout", "2s"},
                                dir / "stdout.txt", dir / "stderr.txt", 0, input);
  ::close(input);
  EXPECT_EQ(drover.wait_exit(std::chrono::seconds(60)), 1) << drover.log();
  EXPECT_NE(drover.log().find("drover: 0 records (0.0 MiB) sent to Kafka, 10 failed: 10 not "
                              "acknowledged within 2 s (drain_timeout; drover produce --timeout); "
                              "is Kafka reachable?"),
            std::string::npos)
      << drover.log();
}

TEST_F(StdinTest, ProduceRefusesWhatItCannotRun) {
  auto [code, output] = testing::run_drover({"produce", "--topic", "t"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("produce needs --brokers HOST:PORT[,HOST:PORT...]"), std::string::npos)
      << output;
  std::tie(code, output) = testing::run_drover(
      {"produce", "--brokers", "b:9092", "--topic", "t", "--missing-key", "empty"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("--missing-key needs --key-separator"), std::string::npos) << output;
}

}  // namespace
}  // namespace drover
