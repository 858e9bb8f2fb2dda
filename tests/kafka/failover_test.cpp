// A 3-broker KRaft cluster (replication 3, min.insync.replicas 2): while drover ships a
// continuous stream with acks=all and idempotence, the partitions' leader is SIGKILLed and
// later restarted. Every line must arrive, with no duplicates within one drover lifetime.
#include "tests/kafka/drover_pipeline.h"
#include "tests/kafka/kafka_cluster.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

namespace drover {
namespace {

using testing::DroverPipeline;
using testing::KafkaCluster;
using testing::KafkaClusterOptions;
using testing::TopicReader;
using testing::wait_until;

TEST(FailoverTest, LeaderKilledAndRestartedWhileShippingLosesNothing) {
  KafkaClusterOptions options;
  options.nodes = 3;
  options.default_replication = 3;
  options.min_insync_replicas = 2;
  KafkaCluster kafka(options);
  constexpr int kPartitions = 3;
  kafka.create_topic("failover", kPartitions, 3);
  ASSERT_TRUE(kafka.wait_for_isr("failover", 3));

  DroverPipeline drover({.brokers = kafka.bootstrap(),
                         .topic = "failover",
                         .key = "{path}",
                         .extra_output_toml = "retry_backoff_max = \"2s\""});
  const std::vector<std::string> files{"a.log", "b.log"};
  std::atomic<int> written{0};
  std::atomic<bool> writing{true};
  std::jthread writer([&] {
    // A steady stream: 100 lines per file every 10 ms, until told to stop.
    while (writing) {
      const int from = written;
      for (const auto& f : files) {
        std::string text;
        for (int i = from; i < from + 100; ++i) text += fmt::format("{} {:07}\n", f, i);
        testing::append_file(drover.log_path(f), text);
      }
      written = from + 100;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  drover.start();
  TopicReader reader(kafka.bootstrap(), "failover", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 4'000; }, std::chrono::seconds(60)))
      << drover.log();

  const int victim = kafka.leader_of("failover", 0);
  ASSERT_GT(victim, 0);
  kafka.kill(victim);
  ASSERT_TRUE(wait_until(
      [&] {
        const int leader = kafka.leader_of("failover", 0);
        return leader > 0 && leader != victim;
      },
      std::chrono::seconds(60)))
      << kafka.log_tails();
  // Shipping goes on without the killed broker...
  const size_t at_kill = reader.poll().size();
  ASSERT_TRUE(
      wait_until([&] { return reader.poll().size() >= at_kill + 4'000; }, std::chrono::seconds(60)))
      << drover.log();
  // ...and after it rejoins.
  kafka.restart(victim);
  ASSERT_TRUE(kafka.wait_for_isr("failover", 3, std::chrono::seconds(90))) << kafka.log_tails();
  const size_t at_restart = reader.poll().size();
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= at_restart + 2'000; },
                         std::chrono::seconds(60)))
      << drover.log();
  writing = false;
  writer.join();

  const size_t expected = files.size() * static_cast<size_t>(written.load());
  ASSERT_TRUE(
      wait_until([&] { return reader.poll().size() >= expected; }, std::chrono::seconds(120)))
      << "consumed " << reader.records().size() << " of " << expected << "\n"
      << drover.log();
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  std::printf("shipped %zu lines through the failover of broker %d; drover's counters:\n%s",
              expected, victim, drover.counters().c_str());

  EXPECT_EQ(reader.total_records(kPartitions), static_cast<int64_t>(expected)) << "duplicates";
  std::map<std::string, std::vector<std::string>> by_file;
  std::set<std::string> distinct;
  for (const auto& r : reader.poll()) {
    by_file[r.key].push_back(r.value);
    distinct.insert(r.value);
  }
  EXPECT_EQ(distinct.size(), expected) << "missing lines";
  for (const auto& f : files) {
    const auto& values = by_file[drover.log_path(f).string()];
    ASSERT_EQ(values.size(), static_cast<size_t>(written.load())) << f;
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(values[i], fmt::format("{} {:07}", f, i)) << "order of " << f;
    }
  }
}

}  // namespace
}  // namespace drover
