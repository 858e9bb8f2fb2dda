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

#include <atomic>
#include <map>
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
  bool contains(uint64_t ticket) const {
    std::lock_guard lock(mutex_);
    return safe_.contains(ticket);
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
    c.topic = *RecordTemplate::parse("t");
    c.linger = std::chrono::milliseconds(5);
    c.retry_backoff = std::chrono::milliseconds(50);
    c.retry_backoff_max = std::chrono::milliseconds(500);
    // After an outage, librdkafka reconnects within 1 s instead of up to its default 10 s.
    c.librdkafka = {{"reconnect.backoff.max.ms", "1000"}};
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
  void push_batch(int first, int count, const std::string& big_at = "", size_t pad = 0,
                  std::shared_ptr<const SourceInfo> from = nullptr) {
    auto batch = std::make_shared<Batch>(from ? from : source, 1'700'000'000'000);
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

  /// I8 for this output: every record it took is delivered, dead-lettered or still held.
  void expect_every_record_accounted_for() const {
    EXPECT_EQ(counter("drover_output_records_received_total"),
              counter("drover_output_records_delivered_total") +
                  counter("drover_output_records_dead_lettered_total") +
                  counter("drover_output_records_in_flight"));
  }

  /// Values of the records, per partition, must be increasing: read order kept (I5).
  static void expect_read_order_per_partition(const std::vector<testing::ConsumedRecord>& records) {
    std::map<int32_t, std::string> last;
    size_t violations = 0;
    for (const auto& r : records) {
      auto [it, first] = last.try_emplace(r.partition, r.value);
      if (!first && r.value <= it->second) ++violations;
      it->second = r.value;
    }
    EXPECT_EQ(violations, 0U) << "records overtook earlier ones of their source";
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
  c.delivery_timeout = std::chrono::seconds(3);
  c.key = *RecordTemplate::parse("{path}");  // one source, one partition: its order is checkable
  start(c);
  for (int b = 0; b < 10; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 10; }));

  // Brokers away for 15 s, five times the delivery timeout, while lines keep coming.
  kafka.set_all_brokers_down();
  const auto down_at = std::chrono::steady_clock::now();
  std::atomic<int> next_record = 1000;
  std::atomic<bool> brokers_back = false;
  std::jthread feeder([&] {
    while (!brokers_back) {
      push_batch(next_record, 50);
      next_record += 50;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // the input's pace
    }
  });
  ASSERT_TRUE(wait_until(
      [&] {
        return std::chrono::steady_clock::now() - down_at >= std::chrono::seconds(15) &&
               counter("drover_output_records_retried_total") >= 1000;
      },
      std::chrono::seconds(90)));
  EXPECT_EQ(acks->count(), 10U) << "nothing Kafka did not acknowledge may be acked";
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 1000U);
  brokers_back = true;
  feeder.join();
  const int total = next_record;
  const auto t0 = std::chrono::steady_clock::now();
  kafka.set_all_brokers_up();

  ASSERT_TRUE(wait_until([&] { return acks->count() == static_cast<size_t>(batches_pushed); },
                         std::chrono::seconds(60)));
  std::printf(
      "outage %lld ms, %d records, %llu re-sends; delivered %lld ms after the brokers "
      "came back\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(t0 - down_at).count()),
      total, static_cast<unsigned long long>(counter("drover_output_records_retried_total")),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count()));
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  EXPECT_EQ(expect_distinct_records(reader, static_cast<size_t>(total)), total) << "duplicates";
  expect_read_order_per_partition(reader.records());
  EXPECT_EQ(counter("drover_output_records_delivered_total"), static_cast<uint64_t>(total));
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 0U);
  expect_every_record_accounted_for();
  EXPECT_GE(
      metrics.value("drover_output_errors_total", {{"output", "kafka"}, {"class", "retriable"}}),
      1000U);
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
  // ...which is three quarters of its 1 MiB budget (the queue keeps the rest) plus at most one
  // batch, of ~170 KB each; the rest waits in the queue.
  EXPECT_LE(counter("drover_output_batches_total"), 6U);
  EXPECT_GE(queue.batches(), 34U);
  kafka.set_all_brokers_up();
  ASSERT_TRUE(wait_until([&] { return acks->count() == 40; }, std::chrono::seconds(60)));
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 4000U);
}

TEST_F(KafkaOutputTest, WhatLibrdkafkaKeepsPerRecordCountsAgainstTheBudget) {
  auto c = config();
  c.delivery_timeout = std::chrono::seconds(1);
  start(c, 1 << 20);
  kafka.set_all_brokers_down();
  // 1,000 records of 11 bytes: ~30 KB of batch, but ~380 KB of librdkafka messages and headers.
  for (int b = 0; b < 20; ++b) push_batch(b * 1000, 1000);
  ASSERT_TRUE(wait_until([&] { return counter("drover_output_records_retried_total") > 0; },
                         std::chrono::seconds(30)));
  // Counting the batches' bytes alone, three quarters of the budget would admit 25 of them.
  EXPECT_LE(counter("drover_output_batches_total"), 3U);
  kafka.set_all_brokers_up();
  ASSERT_TRUE(wait_until([&] { return acks->count() == 20; }, std::chrono::seconds(60)));
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 20000U);
}

TEST_F(KafkaOutputTest, AFullWindowIsSentAtOnceRatherThanAfterLinger) {
  // With a long linger and a budget that holds about two batches in flight, librdkafka would sit
  // on every window for the whole linger (5 windows x 4 s): the output flushes it instead.
  auto c = config();
  c.linger = std::chrono::seconds(4);
  start(c, 256 << 10);
  for (int b = 0; b < 10; ++b) push_batch(b * 100, 100, "", 1000);  // ~140 KB held each
  EXPECT_TRUE(wait_until([&] { return acks->count() == 10; }, std::chrono::seconds(6)))
      << acks->count() << " of 10 batches acknowledged";
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 1000U);
}

TEST_F(KafkaOutputTest, FullLibrdkafkaQueuePushesBackWithoutLosingOrReordering) {
  auto c = config();
  c.key = *RecordTemplate::parse("{path}");
  c.librdkafka.emplace_back("queue.buffering.max.messages", "50");  // librdkafka's queue fills
  rd_kafka_mock_broker_set_rtt(kafka.cluster(), -1, 20);            // and drains slowly
  start(c);
  for (int b = 0; b < 20; ++b) push_batch(b * 100, 100);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 20; }, std::chrono::seconds(60)));
  EXPECT_GT(counter("drover_output_queue_full_total"), 0U);
  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  EXPECT_EQ(expect_distinct_records(reader, 2000), 2000) << "duplicates";
  expect_read_order_per_partition(reader.records());
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 2000U);
  expect_every_record_accounted_for();
}

TEST_F(KafkaOutputTest, LostAcknowledgementIsResentAndCountedAsAPossibleDuplicate) {
  auto c = config();
  c.delivery_timeout = std::chrono::seconds(2);
  start(c);
  push_batch(0, 10);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));
  // Kafka appends the next request but its answer never arrives (KAFKA_NOTES §4.3: an answer
  // delayed by the broker, which goes down before it is sent).
  ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(kafka.cluster(), 1, 0 /* Produce */, 1,
                                                         RD_KAFKA_RESP_ERR_NO_ERROR, 1500),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  push_batch(10, 10);
  ASSERT_TRUE(wait_until([&] {
    size_t left = 1;
    rd_kafka_mock_broker_error_stack_cnt(kafka.cluster(), 1, 0, &left);
    return left == 0;  // the request has reached the broker
  }));
  kafka.set_all_brokers_down();
  ASSERT_TRUE(
      wait_until([&] { return counter("drover_output_records_possibly_duplicated_total") > 0; },
                 std::chrono::seconds(30)));
  EXPECT_EQ(acks->count(), 1U);
  kafka.set_all_brokers_up();
  ASSERT_TRUE(wait_until([&] { return acks->count() == 2; }, std::chrono::seconds(60)));

  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  const int64_t stored = expect_distinct_records(reader, 20);
  const uint64_t possible = counter("drover_output_records_possibly_duplicated_total");
  std::printf("stored %lld records for 20 distinct; %llu counted as possible duplicates\n",
              static_cast<long long>(stored), static_cast<unsigned long long>(possible));
  EXPECT_GE(stored, 20);
  EXPECT_LE(static_cast<uint64_t>(stored - 20), possible) << "every duplicate was foreseen";
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 20U);
  expect_every_record_accounted_for();
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
    // FNV-1a of "host\n/var/log/app.log" (record_id_test.cpp), then the record's position.
    EXPECT_EQ(r.headers[0].second, fmt::format("642f2b3c2b18a644:{}", n * 100));
  }
}

TEST_F(KafkaOutputTest, RefusedTopicIsParkedWhileAnotherTopicKeepsFlowing) {
  // Two brokers: "open" is led by broker 1, "denied" by broker 2, which refuses every record
  // with TOPIC_AUTHORIZATION_FAILED, as a broker does for a topic whose ACL is missing.
  MockKafka cluster(2);
  for (const char* topic : {"open", "denied"}) cluster.create_topic(topic, kPartitions);
  for (int p = 0; p < kPartitions; ++p) {
    rd_kafka_mock_partition_set_leader(cluster.cluster(), "open", p, 1);
    rd_kafka_mock_partition_set_leader(cluster.cluster(), "denied", p, 2);
  }
  for (int i = 0; i < 1000; ++i) {
    rd_kafka_mock_broker_push_request_error_rtts(cluster.cluster(), 2, 0 /* Produce */, 1,
                                                 RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0);
  }
  auto c = config();
  c.brokers = {cluster.bootstrap()};
  c.topic = *RecordTemplate::parse("{input}");
  c.key = *RecordTemplate::parse("{path}");
  c.retry_backoff = std::chrono::milliseconds(100);
  c.retry_backoff_max = std::chrono::milliseconds(400);
  c.librdkafka.emplace_back("topic.metadata.refresh.interval.ms", "300");  // sees the fix sooner
  start(c);
  auto open = std::make_shared<SourceInfo>(SourceInfo{"open", "host", "/var/log/open.log"});
  auto denied = std::make_shared<SourceInfo>(SourceInfo{"denied", "host", "/var/log/denied.log"});
  for (int b = 0; b < 20; ++b) push_batch(b * 50, 50, "", 0, b % 2 == 0 ? denied : open);

  // "open" flows while "denied" is parked: on /healthz, nothing acked, probed with backoff.
  const auto open_batches_acked = [&] {
    for (uint64_t ticket = 1; ticket < 20; ticket += 2)
      if (!acks->contains(ticket)) return false;
    return true;
  };
  ASSERT_TRUE(wait_until([&] {
    return open_batches_acked() &&
           metrics.value("drover_output_errors_total",
                         {{"output", "kafka"}, {"class", "route_permanent"}}) > 0 &&
           counter("drover_output_records_retried_total") >= 3;  // the third probe went out
  }));
  EXPECT_EQ(acks->count(), 10U) << "only the batches of the open topic";
  EXPECT_NE(health.render().find("output kafka: topic denied: Kafka refuses the topic: "
                                 "TOPIC_AUTHORIZATION_FAILED"),
            std::string::npos)
      << health.render();
  EXPECT_LE(counter("drover_output_records_retried_total"), 10U)
      << "a parked topic is probed by one record at a time, not flooded";
  EXPECT_GE(counter("drover_output_records_held"), 499U) << "all but a probe in flight";
  expect_every_record_accounted_for();

  // The operator fixes it (here: the partitions move to a broker that accepts them).
  for (int p = 0; p < kPartitions; ++p)
    rd_kafka_mock_partition_set_leader(cluster.cluster(), "denied", p, 1);
  ASSERT_TRUE(wait_until([&] { return acks->count() == 20; }, std::chrono::seconds(30)));
  EXPECT_TRUE(health.render().empty()) << health.render();

  TopicReader denied_reader(cluster.bootstrap(), "denied", kPartitions);
  TopicReader open_reader(cluster.bootstrap(), "open", kPartitions);
  EXPECT_EQ(expect_distinct_records(denied_reader, 500), 500) << "duplicates";
  EXPECT_EQ(expect_distinct_records(open_reader, 500), 500) << "duplicates";
  expect_read_order_per_partition(denied_reader.records());
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 1000U);
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 0U);
  expect_every_record_accounted_for();
}

TEST_F(KafkaOutputTest, TopicKeyAndHeadersComeFromTheRecordsJsonFields) {
  auto c = config();
  c.topic = *RecordTemplate::parse("logs.{json.service|other}");
  c.key = *RecordTemplate::parse("{json.user.id}");
  c.headers = {{"service", *RecordTemplate::parse("{json.service|none}")}};
  c.record_id_header.clear();
  start(c);
  auto batch = std::make_shared<Batch>(source, 1'700'000'000'000);
  batch->add_record(R"({"service":"billing","user":{"id":"u1"}})", 0);
  batch->add_record(R"({"service":"search","user":{"id":42}})", 100);
  batch->add_record(R"({"user":{"id":"u3"}})", 200);
  batch->add_record("plain text, not JSON", 300);
  batch->add_record(R"({"service":"bad topic!"})", 400);
  batch->add_record(R"({"service":"billing","user":{"id":"u6"}})", 500);
  batch->set_ack(std::make_shared<AckGroup>(acks, 0));
  ASSERT_TRUE(queue.push(std::move(batch), std::stop_token()));
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));

  const auto read = [&](const std::string& topic, size_t count) {
    TopicReader reader(kafka.bootstrap(), topic, 4);  // the mock creates topics with 4 partitions
    EXPECT_TRUE(wait_until([&] { return reader.poll().size() >= count; })) << topic;
    std::vector<std::string> keys_and_headers;
    for (const auto& r : reader.records()) {
      keys_and_headers.push_back(r.key + "/" + (r.headers.empty() ? "" : r.headers[0].second));
    }
    std::sort(keys_and_headers.begin(), keys_and_headers.end());
    return keys_and_headers;
  };
  EXPECT_EQ(read("logs.billing", 2), (std::vector<std::string>{"u1/billing", "u6/billing"}));
  EXPECT_EQ(read("logs.search", 1), (std::vector<std::string>{"42/search"}));
  EXPECT_EQ(read("logs.other", 2), (std::vector<std::string>{"/none", "u3/none"}));
  // A topic name made from record data that Kafka would refuse: that record is dead-lettered.
  EXPECT_EQ(counter("drover_output_records_dead_lettered_total"), 1U);
  const std::string letters = testing::read_file(dir / "dead_letter" / "kafka.ndjson");
  EXPECT_NE(letters.find("\"topic\":\"logs.bad topic!\""), std::string::npos) << letters;
  EXPECT_NE(letters.find("Kafka topic names allow only letters"), std::string::npos) << letters;
  EXPECT_EQ(counter("drover_output_records_delivered_total"), 5U);
  expect_every_record_accounted_for();
}

TEST_F(KafkaOutputTest, RecordsOwnKeyAndTimestampWinOverTheOutputsKey) {
  auto c = config();
  c.key = *RecordTemplate::parse("{input}");  // for records that bring no key
  c.record_id_header.clear();
  start(c);
  auto batch = std::make_shared<Batch>(source, 1'700'000'000'000);
  batch->add_record("own key and time", 0);
  batch->set_record_key("user-7");
  batch->set_record_timestamp(1'600'000'000'123);
  batch->add_record("nothing of its own", 100);
  batch->add_record("own key only", 200);
  batch->set_record_key("user-8");
  batch->set_ack(std::make_shared<AckGroup>(acks, 0));
  ASSERT_TRUE(queue.push(std::move(batch), std::stop_token()));
  ASSERT_TRUE(wait_until([&] { return acks->count() == 1; }));

  TopicReader reader(kafka.bootstrap(), "t", kPartitions);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 3; }));
  using KeyAndTime = std::pair<std::string, int64_t>;
  std::map<std::string, KeyAndTime> by_value;
  for (const auto& r : reader.records()) {
    EXPECT_EQ(r.timestamp_type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
    by_value[r.value] = {r.key, r.timestamp_ms};
  }
  EXPECT_EQ(by_value["own key and time"], KeyAndTime("user-7", 1'600'000'000'123));
  EXPECT_EQ(by_value["nothing of its own"], KeyAndTime("app", 1'700'000'000'000));
  EXPECT_EQ(by_value["own key only"], KeyAndTime("user-8", 1'700'000'000'000));
  EXPECT_EQ(reader.total_records(kPartitions), 3);
}

}  // namespace
}  // namespace drover::outputs
