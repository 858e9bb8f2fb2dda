// The journald input → Kafka (librdkafka's mock cluster), over journal files written at test
// time with systemd-journal-remote: entries arrive with their fields, more arrive as they are
// appended, a SIGKILL and restart resumes at the cursor with nothing missing, matches select
// exactly their entries, and a journal file sd-journal cannot read is named and counted.
#include "tests/support/drover_process.h"
#include "tests/support/http_get.h"
#include "tests/support/journal_files.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <memory>
#include <set>

namespace drover {
namespace {

using testing::numbered_entries;

class JournaldToKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(testing::kJournalRemote))
        << "needs systemd-journal-remote: scripts/setup.sh --tests installs it";
    std::filesystem::create_directories(journal_dir);
    kafka.create_topic("journal", 1);
  }
  void start(const std::string& input_extra = "") {
    testing::write_file(dir / "drover.toml", fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = "127.0.0.1:0"

[inputs.journal]
type = "journald"
directory = "{1}"
start_at = "beginning"
checkpoint_interval = "100ms"
{2}

[outputs.kafka]
type = "kafka"
inputs = ["journal"]
brokers = ["{3}"]
topic = "journal"
linger = "5ms"
)",
                                                         dir.path().string(), journal_dir.string(),
                                                         input_extra, kafka.bootstrap()));
    drover = std::make_unique<testing::DroverProcess>(
        std::vector<std::string>{"run", "--config", (dir / "drover.toml").string()},
        dir / "stdout.txt", dir / "drover.log");
  }
  bool append(int first, int count) {
    return testing::append_journal(journal_dir / "system.journal", numbered_entries(first, count));
  }
  /// The entries' numbers in Kafka, in order (their messages are "entry <n>").
  std::vector<int> numbers(const std::vector<testing::ConsumedRecord>& records) {
    std::vector<int> out;
    simdjson::dom::parser parser;
    for (const auto& record : records) {
      std::string_view message;
      if (parser.parse(record.value)["message"].get(message) == simdjson::SUCCESS &&
          message.starts_with("entry ")) {
        out.push_back(std::stoi(std::string(message.substr(6))));
      }
    }
    return out;
  }
  std::string admin() {
    std::string address = testing::read_file(dir / "data" / "admin.address");
    if (!address.empty()) address.pop_back();
    return address;
  }
  long long metric(const std::string& series) {
    return testing::metric_value(testing::http_get(admin(), "/metrics").second, series);
  }

  testing::TempDir dir;
  std::filesystem::path journal_dir = dir / "journal";
  testing::MockKafka kafka;
  std::unique_ptr<testing::DroverProcess> drover;
};

TEST_F(JournaldToKafkaTest, EntriesArriveWithTheirFieldsAndMoreAsTheyAreWritten) {
  ASSERT_TRUE(append(0, 500));
  start();
  testing::TopicReader reader(kafka.bootstrap(), "journal", 1);
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= 500; })) << drover->log();
  ASSERT_TRUE(append(500, 100));
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= 600; })) << drover->log();
  const auto& records = reader.poll();
  std::vector<int> expected(600);
  for (int n = 0; n < 600; ++n) expected[static_cast<size_t>(n)] = n;
  EXPECT_EQ(numbers(records), expected);

  simdjson::dom::parser parser;
  simdjson::dom::element first = parser.parse(records[7].value);
  EXPECT_EQ(std::string_view(first["message"]), "entry 7");
  EXPECT_EQ(std::string_view(first["PRIORITY"]), "7");
  EXPECT_EQ(std::string_view(first["_SYSTEMD_UNIT"]), "b.service");
  EXPECT_EQ(std::string_view(first["_PID"]), "1007");
  EXPECT_EQ(std::string_view(first["_HOSTNAME"]), "journal-host");
  EXPECT_EQ(std::string_view(first["SYSLOG_IDENTIFIER"]), "app");
  EXPECT_EQ(std::string_view(first["input"]), "journal");
  EXPECT_EQ(std::string_view(first["@timestamp"]), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(records[7].timestamp_ms, 1'800'000'000'000);
  EXPECT_EQ(metric(R"(drover_input_records_total{input="journal"})"), 600);
  drover->signal(SIGTERM);
  ASSERT_EQ(drover->wait_exit(), 0) << drover->log();
  EXPECT_FALSE(testing::read_file(dir / "data" / "checkpoints" / "journal.cursor").empty());
}

TEST_F(JournaldToKafkaTest, ASigkillAndARestartResumeAtTheCursorWithNothingMissing) {
  ASSERT_TRUE(append(0, 300));
  start("batch_bytes = \"4KiB\"");
  testing::TopicReader reader(kafka.bootstrap(), "journal", 1);
  ASSERT_TRUE(testing::wait_until([&] {
    return reader.poll().size() >= 100 &&
           std::filesystem::exists(dir / "data" / "checkpoints" / "journal.cursor");
  })) << drover->log();
  drover->signal(SIGKILL);
  drover->wait_exit();
  ASSERT_TRUE(append(300, 200));
  start("batch_bytes = \"4KiB\"");
  ASSERT_TRUE(testing::wait_until([&] {
    const auto got = numbers(reader.poll());
    return !got.empty() && got.back() == 499;
  })) << drover->log();
  const std::vector<int> got = numbers(reader.poll());
  const std::set<int> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 500U) << "missing entries";
  EXPECT_EQ(*distinct.begin(), 0);
  EXPECT_EQ(*distinct.rbegin(), 499);
  // At least once: what was shipped but not yet checkpointed may come again, nothing older.
  EXPECT_LT(got.size() - distinct.size(), 300U);
  EXPECT_TRUE(drover->log().find("resuming") != std::string::npos) << drover->log();
}

TEST_F(JournaldToKafkaTest, MatchesSelectExactlyTheirEntries) {
  ASSERT_TRUE(append(0, 40));
  start("units = [\"a\"]\npriority = \"err\"\nmatches = [\"SYSLOG_IDENTIFIER=app\"]");
  testing::TopicReader reader(kafka.bootstrap(), "journal", 1);
  // Even numbers (a.service) with n % 8 <= 3.
  const std::vector<int> expected{0, 2, 8, 10, 16, 18, 24, 26, 32, 34};
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= expected.size(); }))
      << drover->log();
  ASSERT_TRUE(append(40, 8));  // adds 40 and 42; a last entry shows nothing else came before it
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= expected.size() + 2; }));
  std::vector<int> all = expected;
  all.push_back(40);
  all.push_back(42);
  EXPECT_EQ(numbers(reader.poll()), all);
}

TEST_F(JournaldToKafkaTest, AJournalDirectoryThatComesLaterIsReadOnceItIsThere) {
  std::filesystem::remove_all(journal_dir);
  start();
  ASSERT_TRUE(testing::wait_until([&] {
    return drover->log().find("trying again every 5 s") != std::string::npos;
  })) << drover->log();
  const std::string health = testing::http_get(admin(), "/healthz").second;
  EXPECT_NE(health.find("input journal: journal"), std::string::npos) << health;
  std::filesystem::create_directories(journal_dir);
  ASSERT_TRUE(append(0, 5));
  testing::TopicReader reader(kafka.bootstrap(), "journal", 1);
  ASSERT_TRUE(
      testing::wait_until([&] { return reader.poll().size() >= 5; }, std::chrono::seconds(30)))
      << drover->log();
  EXPECT_EQ(numbers(reader.poll()), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(JournaldToKafkaTest, AJournalFileThatCannotBeReadIsNamedAndCounted) {
  ASSERT_TRUE(append(0, 10));
  testing::write_file(journal_dir / "broken.journal", "not a journal file at all");
  start();
  testing::TopicReader reader(kafka.bootstrap(), "journal", 1);
  ASSERT_TRUE(testing::wait_until([&] { return reader.poll().size() >= 10; })) << drover->log();
  EXPECT_EQ(metric(R"(drover_journald_unreadable_files_total{input="journal"})"), 1);
  EXPECT_NE(drover->log().find("cannot read the journal file " +
                               (journal_dir / "broken.journal").string()),
            std::string::npos)
      << drover->log();
}

}  // namespace
}  // namespace drover
