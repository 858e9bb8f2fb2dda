// The Kafka output in process against librdkafka's mock cluster: what it sends, and how it
// behaves under the failures Kafka can throw (KAFKA_NOTES §4). Only NOT_PERSISTED faults are used
// (broker down, records refused at produce time), so the mock's artefacts (§4.3) cannot fake a loss
// or a duplicate.
#include "outputs/kafka/kafka_output.h"

#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

namespace drover::outputs {
namespace {

using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

constexpr int kPartitions = 3;

class TicketLog final : public AckReceiver {
 public:
  void on_batch_safe(uint64_t ticket) override {
    std::lock_guard lock(mutex_);
    safe_.insert(ticket);
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return safe_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::set<uint64_t> safe_;
};

class KafkaOutputTest : public ::testing::Test {
 protected:
  void SetUp() override { kafka.create_topic("t", kPartitions); }
  void TearDown() override { stop(); }

  KafkaOutputConfig config() const {
    KafkaOutputConfig c;
    c.brokers = {kafka.bootstrap()};
    c.topic = *SourceTemplate::parse("t");
    c.linger = std::chrono::milliseconds(5);
    c.retry_backoff = std::chrono::milliseconds(50);
    c.retry_backoff_max = std::chrono::milliseconds(500);
    return c;
  }

  void start(const KafkaOutputConfig& c, uint64_t memory_bytes = 16 << 20) {
    output = std::make_unique<KafkaOutput>(
        c, ComponentContext{"kafka", "host", dir.path(), &metrics, memory_bytes, &health});
    thread = std::jthread([this](std::stop_token stop) { (void)output->run(queue, stop); });
  }
  void stop() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
  }

  /// Queues one batch of `count` records named rec-<first>..; its ticket is its number.
  void push_batch(int first, int count, const std::string& big_at = "", size_t pad = 0) {
    auto batch = std::make_shared<Batch>(source, 1'700'000'000'000);
    for (int i = first; i < first + count; ++i) {
      const std::string value = fmt::format("rec-{:07}{}", i, std::string(pad, '.'));
      batch->add_record(big_at == value ? value + std::string(5000, 'x') : value,
                        static_cast<uint64_t>(i) * 100);
    }
    batch->set_ack(std::make_shared<AckGroup>(acks, static_cast<uint64_t>(batches_pushed++)));
    ASSERT_TRUE(queue.push(std::move(batch), std::stop_token()));
  }

  uint64_t counter(const std::string& name) const {
    return metrics.value(name, {{"output", "kafka"}});
  }

  /// Reads the topic until `count` distinct records arrived; returns how many records (with
  /// duplicates) the topic holds.
  int64_t expect_distinct_records(TopicReader& reader, size_t count) {
    std::set<std::string> distinct;
    const bool done = wait_until(
        [&] {
          for (const auto& r : reader.poll()) distinct.insert(r.value);
          return distinct.size() >= count;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(done) << distinct.size() << " of " << count;
    EXPECT_EQ(distinct.size(), count);
    return reader.total_records(kPartitions);
  }

  MockKafka kafka{1};
  TempDir dir;
  Metrics metrics;
  Health health;
  BatchQueue queue{64 << 20};
  std::shared_ptr<const SourceInfo> source =
      std::make_shared<SourceInfo>(SourceInfo{"app", "host", "/var/log/app.log"});
  std::shared_ptr<TicketLog> acks = std::make_shared<TicketLog>();
  int batches_pushed = 0;
  std::unique_ptr<KafkaOutput> output;
  std::jthread thread;
};

TEST_F(KafkaOutputTest, OutageLongerThanTheDeliveryTimeoutLosesNothing) {
  auto c = config();
  c.delivery_timeout = std::chrono::seconds(2);
  start(c);
  for (int b = 0; b < 10; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 10; }));

  kafka.set_all_brokers_down();
  for (int b = 10; b < 20; ++b) push_batch(b * 100, 100);
  // Every record of the outage times out in librdkafka and is re-produced by drover, twice.
  const auto d0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return counter("drover_output_records_retried_total") >= 2000; },
                         std::chrono::seconds(60)));
  std::printf("2 retry rounds took %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - d0)
                                         .count()));
  EXPECT_EQ(acks->count(), 10U) << "nothing Kafka did not acknowledge may be acked";
  const auto t0 = std::chrono::steady_clock::now();
  kafka.set_all_brokers_up();

  ASSERT_TRUE(wait_until([&] { return acks->count() == 20; }, std::chrono::seconds(60)));
  std::printf("recovered %lld ms after the brokers came back\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0)
                                         .count()));
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  EXPECT_EQ(expect_distinct_records(reader, 2000), 2000) << "duplicates";
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 2000U);
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 0U);
  EXPECT_GE(
      metrics.value("drover_output_errors_total", {{"output", "kafka"}, {"class", "retriable"}}),
      2000U);
}

TEST_F(KafkaOutputTest, FatalErrorRecreatesTheProducerAndResendsWhatWasNotAcknowledged) {
  auto c = config();
  c.linger = std::chrono::milliseconds(50);
  start(c);
  for (int b = 0; b < 20; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() >= 1; }));
  rd_kafka_test_fatal_error(output->producer_handle_for_testing(),
                            RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected by test");
  for (int b = 20; b < 40; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 40; }, std::chrono::seconds(60)))
      << acks->count();
  EXPECT_EQ(counter("drover_output_producers_created_total"), 2U);
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  const int64_t stored = expect_distinct_records(reader, 4000);
  // Re-sent records that were in flight at the fatal error may be stored twice (at-least-once).
  EXPECT_GE(stored, 4000);
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 4000U);
}

TEST_F(KafkaOutputTest, OversizedRecordIsDeadLetteredAndTheRestFlows) {
  auto c = config();
  c.message_max_bytes = 1000;
  start(c);
  for (int b = 0; b < 10; ++b) push_batch(b * 1000, 1000, "rec-0005000");
  ASSERT_TRUE(wait_until([&] { return acks->count() == 10; }, std::chrono::seconds(60)));
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  EXPECT_EQ(expect_distinct_records(reader, 9999), 9999);
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 9999U);
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 1U);

  const std::string letters = testing::read_file(dir / "dead_letter" / "kafka.ndjson");
  EXPECT_EQ(std::count(letters.begin(), letters.end(), '\n'), 1);
  EXPECT_NE(letters.find("\"error\":\"MSG_SIZE_TOO_LARGE\""), std::string::npos) << letters;
  EXPECT_NE(letters.find("\"topic\":\"t\""), std::string::npos);
  EXPECT_NE(letters.find("\"path\":\"/var/log/app.log\",\"position\":500000}"), std::string::npos)
      << letters;
  EXPECT_NE(letters.find("\"value\":\"rec-0005000xxxx"), std::string::npos);
}

TEST_F(KafkaOutputTest, StopWithRecordsInFlightAcknowledgesNothingKafkaDidNot) {
  start(config());
  kafka.set_all_brokers_down();
  for (int b = 0; b < 5; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return queue.batches() == 0; }));
  stop();
  EXPECT_EQ(acks->count(), 0U);
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 0U);
  EXPECT_EQ(counter("drover_output_records_abandoned_total"), 500U);
}

TEST_F(KafkaOutputTest, HoldsNoMoreThanItsMemoryBudgetWhileKafkaIsAway) {
  auto c = config();
  c.delivery_timeout = std::chrono::seconds(1);
  start(c, 1 << 20);
  kafka.set_all_brokers_down();
  for (int b = 0; b < 40; ++b) push_batch(b * 100, 100, "", 1000);  // 40 batches of ~100 KB
  // Once records have failed and wait for their retry, the output holds what it took...
  ASSERT_TRUE(wait_until([&] { return counter("drover_output_records_retried_total") > 0; },
                         std::chrono::seconds(30)));
  // ...which is its 1 MiB budget plus at most one batch; the rest waits in the queue.
  EXPECT_LE(counter("drover_output_batches_total"), 11U);
  EXPECT_GE(queue.batches(), 29U);
  kafka.set_all_brokers_up();
  ASSERT_TRUE(wait_until([&] { return acks->count() == 40; }, std::chrono::seconds(60)));
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 4000U);
}

TEST_F(KafkaOutputTest, InvalidTimestampIsRetriedOnceWithKafkasTimeThenDeadLettered) {
  start(config());
  // The broker refuses the first request: its records go again, stamped by Kafka.
  rd_kafka_mock_push_request_errors(kafka.cluster(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
  push_batch(0, 1);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 1; }));
  const auto& record = reader.records()[0];
  EXPECT_NE(record.timestamp_ms, 1'700'000'000'000);
  EXPECT_EQ(record.headers.back(),
            (std::pair<std::string, std::string>{"drover-original-timestamp", "1700000000000"}));
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 0U);

  // Refused again with Kafka's own time: the record goes to the dead-letter file.
  rd_kafka_mock_push_request_errors(kafka.cluster(), 0, 2, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
                                    RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP);
  push_batch(1, 1);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 2; }));
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 1U);
  EXPECT_NE(testing::read_file(dir / "dead_letter" / "kafka.ndjson").find("INVALID_TIMESTAMP"),
            std::string::npos);
}

TEST_F(KafkaOutputTest, LibrdkafkaStatisticsFeedTheMetrics) {
  auto c = config();
  c.statistics_interval = std::chrono::seconds(1);
  start(c);
  push_batch(0, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));
  // The broker's round-trip time appears once librdkafka has measured and reported it.
  const std::string rtt = "drover_kafka_broker_rtt_avg_us{output=\"kafka\",broker=\"127.0.0.1:";
  ASSERT_TRUE(wait_until([&] { return metrics.render().find(rtt) != std::string::npos; }))
      << metrics.render();
  EXPECT_NE(metrics.render().find("drover_kafka_queue_messages{output=\"kafka\"} 0"),
            std::string::npos)
      << "everything delivered: librdkafka's queue is empty";
}

TEST_F(KafkaOutputTest, RefusedTopicIsOnHealthHeldAndDeliveredOnceKafkaAcceptsIt) {
  start(config());
  // Kafka refuses the topic for a while (the operator has not granted the ACL yet).
  std::vector<rd_kafka_resp_err_t> refusals(6, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(kafka.cluster(), 0 /* Produce */, refusals.size(),
                                          refusals.data());
  push_batch(0, 10);
  ASSERT_TRUE(wait_until([&] { return !health.render().empty(); }));
  EXPECT_NE(health.render().find("output kafka: topic t: Kafka refuses the topic: "
                                 "TOPIC_AUTHORIZATION_FAILED"),
            std::string::npos)
      << health.render();
  EXPECT_EQ(acks->count(), 0U) << "held records must not be acknowledged";
  // The refusals run out (the ACL is granted): everything held is delivered, health clears.
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }, std::chrono::seconds(60)));
  EXPECT_TRUE(health.render().empty()) << health.render();
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  EXPECT_EQ(expect_distinct_records(reader, 10), 10);
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 0U);
  EXPECT_GE(metrics.value("drover_output_errors_total",
                          {{"output", "kafka"}, {"class", "route_permanent"}}),
            1U);
}

TEST_F(KafkaOutputTest, ExplicitPartitionAndStableRecordIds) {
  auto c = config();
  c.partition = 2;
  start(c);
  push_batch(0, 50);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 50; }));
  for (const auto& r : reader.records()) {
    EXPECT_EQ(r.partition, 2);
    ASSERT_EQ(r.headers.size(), 1U);
    EXPECT_EQ(r.headers[0].first, "drover-id");
    const int n = std::stoi(r.value.substr(4));
    EXPECT_EQ(r.headers[0].second, fmt::format("host:/var/log/app.log:{}", n * 100));
  }
}

}  // namespace
}  // namespace drover::outputs
