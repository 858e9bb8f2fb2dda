// drover against a real Apache Kafka 3.9 broker: what only a real broker can prove.
#include "outputs/kafka/record_id.h"
#include "tests/kafka/drover_pipeline.h"
#include "tests/kafka/kafka_cluster.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <random>
#include <set>

namespace drover {
namespace {

using testing::ConsumedRecord;
using testing::DroverPipeline;
using testing::KafkaCluster;
using testing::TopicReader;
using testing::wait_until;

// The Java client's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), written from the
// algorithm so the test does not trust drover's or librdkafka's implementation.
int32_t java_murmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ length;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  for (uint32_t i = 0; i < length / 4; ++i) {
    uint32_t k = bytes[i * 4] | (bytes[i * 4 + 1] << 8) | (bytes[i * 4 + 2] << 16) |
                 (static_cast<uint32_t>(bytes[i * 4 + 3]) << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint32_t tail = length & ~3U;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(bytes[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(bytes[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= bytes[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int java_partition(std::string_view key, int partitions) {
  return (java_murmur2(key) & 0x7fffffff) % partitions;
}

class RealBrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      kafka_ = new KafkaCluster();
    } catch (const std::exception& e) {
      startup_error_ = e.what();  // reported by every test: these tests never skip silently
    }
  }
  static void TearDownTestSuite() {
    delete kafka_;
    kafka_ = nullptr;
  }
  void SetUp() override {
    if (kafka_ == nullptr) GTEST_FAIL() << startup_error_;
  }
  void TearDown() override {
    if (HasFailure() && kafka_ != nullptr) {
      std::fprintf(stderr, "%s", kafka_->log_tails().c_str());
      kafka_->keep_logs_if_failed();
    }
  }

  static std::vector<ConsumedRecord> read_until(TopicReader& reader, size_t count,
                                                const DroverPipeline& drover) {
    const bool done =
        wait_until([&] { return reader.poll().size() >= count; }, std::chrono::seconds(120));
    EXPECT_TRUE(done) << "consumed " << reader.records().size() << " of " << count << "\n"
                      << drover.log();
    return reader.poll();
  }

  static KafkaCluster* kafka_;
  static std::string startup_error_;
};
KafkaCluster* RealBrokerTest::kafka_ = nullptr;
std::string RealBrokerTest::startup_error_;

TEST_F(RealBrokerTest, HundredThousandLinesArriveExactlyOnceInPerFileOrder) {
  kafka_->create_topic("lines", 3, 1);
  DroverPipeline drover({.brokers = kafka_->bootstrap(), .topic = "lines", .key = "{path}"});
  const std::vector<std::string> files{"a.log", "b.log", "c.log", "d.log"};
  constexpr int kPerFile = 25'000;
  for (const auto& f : files) {
    std::string text;
    for (int i = 0; i < kPerFile / 2; ++i)
      text += fmt::format("{} line {:06} of the first half\n", f, i);
    testing::append_file(drover.log_path(f), text);
  }
  drover.start();
  for (const auto& f : files) {  // the second half arrives while drover tails the files
    std::string text;
    for (int i = kPerFile / 2; i < kPerFile; ++i)
      text += fmt::format("{} line {:06} appended later\n", f, i);
    testing::append_file(drover.log_path(f), text);
  }
  TopicReader reader(kafka_->bootstrap(), "lines", 3);
  const auto records = read_until(reader, files.size() * kPerFile, drover);
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  EXPECT_EQ(reader.total_records(3), static_cast<int64_t>(files.size() * kPerFile)) << "duplicates";

  std::map<std::string, std::vector<const ConsumedRecord*>> by_file;
  std::multiset<std::string> values;
  for (const auto& r : records) {
    by_file[r.key].push_back(&r);
    values.insert(r.value);
  }
  std::multiset<std::string> expected;
  for (const auto& f : files) {
    for (int i = 0; i < kPerFile; ++i) {
      expected.insert(fmt::format("{} line {:06} {}", f, i,
                                  i < kPerFile / 2 ? "of the first half" : "appended later"));
    }
  }
  EXPECT_TRUE(values == expected) << "the consumed multiset differs from the lines written";
  for (const auto& f : files) {
    const auto& got = by_file[drover.log_path(f).string()];
    ASSERT_EQ(got.size(), static_cast<size_t>(kPerFile)) << f;
    for (size_t i = 1; i < got.size(); ++i) {
      ASSERT_EQ(got[i]->partition, got[0]->partition);
      ASSERT_LT(got[i - 1]->value, got[i]->value) << "order within " << f;
    }
  }
}

TEST(JavaPartitionerTest, Murmur2MatchesTheJavaClientReferenceVectors) {
  // From librdkafka's rdmurmur2.c unit test, where they are the Java client's results.
  const std::vector<std::pair<std::string, uint32_t>> vectors{
      {"kafka", 0xd067cf64},
      {"giberish123456789", 0x8f552b0c},
      {"1234", 0x9fc97b14},
      {"234", 0xe7c009ca},
      {"34", 0x873930da},
      {"4", 0x5a4b5ca1},
      {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c},
      {"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377},
      {"", 0x106e08d9}};
  for (const auto& [key, hash] : vectors) {
    EXPECT_EQ(static_cast<uint32_t>(java_murmur2(key)), hash) << key;
  }
}

TEST_F(RealBrokerTest, KeyedRecordsLandInTheJavaClientsPartition) {
  constexpr int kPartitions = 7;
  kafka_->create_topic("keyed", kPartitions, 1);
  DroverPipeline drover({.brokers = kafka_->bootstrap(), .topic = "keyed", .key = "svc-{path}"});
  std::vector<std::string> keys;
  for (char c = 'a'; c <= 'l'; ++c) {
    const std::string file = fmt::format("{}-service.log", c);
    testing::append_file(drover.log_path(file), fmt::format("{} one\n{} two\n{} three\n", c, c, c));
    keys.push_back("svc-" + drover.log_path(file).string());
  }
  drover.start();
  TopicReader reader(kafka_->bootstrap(), "keyed", kPartitions);
  const auto records = read_until(reader, keys.size() * 3, drover);
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  std::set<int> used;
  for (const auto& r : records) {
    EXPECT_EQ(r.partition, java_partition(r.key, kPartitions)) << r.key;
    used.insert(r.partition);
  }
  EXPECT_GT(used.size(), 3U) << "twelve keys should spread over several partitions";
}

class CodecTest : public RealBrokerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CodecTest, EveryRecordRoundTripsThroughTheBroker) {
  const std::string codec = GetParam();
  const std::string topic = "codec-" + codec;
  kafka_->create_topic(topic, 2, 1);
  DroverPipeline drover({.brokers = kafka_->bootstrap(), .topic = topic, .compression = codec});
  std::set<std::string> expected;
  std::string text;
  for (int i = 0; i < 5'000; ++i) {
    std::string line =
        fmt::format(R"({{"level":"info","n":{},"msg":"compressible text {} é✓"}})", i, i % 17);
    expected.insert(line);
    text += line + "\n";
  }
  testing::append_file(drover.log_path("app.log"), text);
  drover.start();
  TopicReader reader(kafka_->bootstrap(), topic, 2);
  const auto records = read_until(reader, expected.size(), drover);
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  std::set<std::string> got;
  for (const auto& r : records) got.insert(r.value);
  EXPECT_EQ(records.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecTest, ::testing::Values("gzip", "snappy", "lz4", "zstd"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

TEST_F(RealBrokerTest, HeadersAndCreateTimeSurvive) {
  kafka_->create_topic("headers", 1, 1);
  DroverPipeline drover(
      {.brokers = kafka_->bootstrap(),
       .topic = "headers",
       .compression = "zstd",
       .extra_output_toml = R"(headers = { env = "test", source = "{input}:{path}" })"});
  testing::append_file(drover.log_path("app.log"), "first\nsecond\n");
  const int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  drover.start();
  TopicReader reader(kafka_->bootstrap(), "headers", 1);
  const auto records = read_until(reader, 2, drover);
  const int64_t after = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  ASSERT_EQ(records.size(), 2U);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  for (const auto& r : records) {
    const uint64_t offset = r.value == "first" ? 0 : 6;
    const std::vector<std::pair<std::string, std::string>> expected_headers{
        {"env", "test"},
        {"source", "app:" + drover.log_path("app.log").string()},
        {"drover-id",
         fmt::format("{:016x}:{}",
                     outputs::record_source_hash(host, drover.log_path("app.log").string()),
                     offset)}};
    EXPECT_EQ(r.headers, expected_headers);
    EXPECT_EQ(r.timestamp_type, RD_KAFKA_TIMESTAMP_CREATE_TIME);
    EXPECT_GE(r.timestamp_ms, before);
    EXPECT_LE(r.timestamp_ms, after);
  }
}

TEST_F(RealBrokerTest, BrokerRefusesAnOversizedRecordAndTheRestStillArrives) {
  kafka_->create_topic("small", 1, 1, {{"max.message.bytes", "4096"}});
  DroverPipeline drover({.brokers = kafka_->bootstrap(), .topic = "small", .compression = "none"});
  std::mt19937 random(42);
  std::string big;
  for (int i = 0; i < 20'000; ++i) big += static_cast<char>('a' + random() % 26);
  std::set<std::string> expected;
  std::string text;
  for (int i = 0; i < 400; ++i) {
    if (i == 200) text += big + "\n";
    const std::string line = fmt::format("small record {:04}", i);
    expected.insert(line);
    text += line + "\n";
  }
  testing::append_file(drover.log_path("app.log"), text);
  drover.start();
  TopicReader reader(kafka_->bootstrap(), "small", 1);
  const auto records = read_until(reader, expected.size(), drover);
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  std::set<std::string> got;
  for (const auto& r : records) got.insert(r.value);
  EXPECT_TRUE(got == expected) << "consumed " << got.size();
  EXPECT_EQ(records.size(), expected.size());
  // The broker's refusal reached drover: the record is in the dead-letter file, named by origin.
  const std::string log = drover.log();
  EXPECT_NE(log.find("Kafka will never take the 20000-byte record"), std::string::npos) << log;
  EXPECT_NE(log.find("drover_output_records_dead_lettered_total{output=\"kafka\"} 1"),
            std::string::npos)
      << log;
  const std::string letters = testing::read_file(drover.dead_letter_file());
  EXPECT_EQ(std::count(letters.begin(), letters.end(), '\n'), 1) << letters;
  EXPECT_NE(letters.find("\"error\":\"MSG_SIZE_TOO_LARGE\""), std::string::npos) << letters;
  EXPECT_NE(letters.find("\"value\":\"" + big + "\""), std::string::npos);
}

TEST_F(RealBrokerTest, CreatesItsTopicAtStartOrSaysClearlyWhyNot) {
  DroverPipeline drover(
      {.brokers = kafka_->bootstrap(),
       .topic = "made-by-drover",
       .extra_output_toml = "create_topic = { partitions = 5, replication = 1 }"});
  testing::append_file(drover.log_path("app.log"), "one\ntwo\nthree\n");
  drover.start();
  TopicReader reader(kafka_->bootstrap(), "made-by-drover", 5);
  read_until(reader, 3, drover);
  ASSERT_EQ(drover.stop(), 0) << drover.log();
  EXPECT_NE(drover.log().find("created topic made-by-drover (5 partitions, replication 1)"),
            std::string::npos)
      << drover.log();
  EXPECT_EQ(kafka_->partition_count("made-by-drover"), 5);

  // One broker cannot hold three replicas: the broker's reason reaches the log.
  DroverPipeline impossible(
      {.brokers = kafka_->bootstrap(),
       .topic = "needs-three-brokers",
       .extra_output_toml = "create_topic = { partitions = 1, replication = 3 }"});
  impossible.start();
  ASSERT_TRUE(wait_until([&] {
    return impossible.log().find("cannot create topic needs-three-brokers") != std::string::npos;
  })) << impossible.log();
  EXPECT_NE(impossible.log().find("INVALID_REPLICATION_FACTOR"), std::string::npos)
      << impossible.log();
  EXPECT_EQ(impossible.stop(), 0) << impossible.log();
}

// An application that retries with its Idempotency-Key: three sends, the second while the
// first still waits for Kafka (linger 1 s), put the events into Kafka once, and all three
// replies name the same offsets.
TEST_F(RealBrokerTest, ARequestRepeatedWithItsIdempotencyKeyIsStoredOnce) {
  kafka_->create_topic("idempotent", 1, 1);
  const std::string address = fmt::format("127.0.0.1:{}", testing::free_port());
  DroverPipeline drover(
      {.brokers = kafka_->bootstrap(),
       .topic = "idempotent",
       .linger = "1s",
       .output_inputs = R"(["app", "ev"])",
       .extra_toml = fmt::format("[inputs.ev]\ntype = \"events\"\nlisten = \"{}\"\n", address)});
  drover.start();
  ASSERT_TRUE(wait_until([&] { return testing::HttpConnection(address).connected(); }))
      << drover.log();
  const auto records_in = [&] {
    return testing::metric_value(testing::http_get(drover.admin_address(), "/metrics").second,
                                 "drover_input_records_total{input=\"ev\"}");
  };
  std::string body;
  for (int n = 0; n < 5; ++n) body += fmt::format("{{\"order\":4711,\"n\":{}}}\n", n);
  const std::string key = "Idempotency-Key: 7c1e2d9a-order-4711\r\n";

  testing::HttpConnection first(address);
  ASSERT_TRUE(first.send_post("/v1/events?ack=delivered", body, key));
  ASSERT_TRUE(wait_until([&] { return records_in() == 5; })) << drover.log();
  testing::HttpConnection second(address);
  ASSERT_TRUE(second.send_post("/v1/events?ack=delivered", body, key));
  const testing::HttpResponse first_reply = first.read_response();
  const testing::HttpResponse second_reply = second.read_response();
  const std::string metrics = testing::http_get(drover.admin_address(), "/metrics").second;
  EXPECT_EQ(testing::metric_value(
                metrics, "drover_events_idempotent_repeats_total{input=\"ev\",first=\"waiting\"}"),
            1)
      << "the second send came while the first waited for Kafka";
  testing::HttpConnection third(address);
  const testing::HttpResponse third_reply = third.post("/v1/events?ack=delivered", body, key);

  ASSERT_EQ(first_reply.status, 200) << first_reply.body;
  EXPECT_EQ(second_reply.body, first_reply.body);
  EXPECT_EQ(third_reply.body, first_reply.body);
  simdjson::dom::parser parser;
  simdjson::dom::array named = parser.parse(first_reply.body)["records"];
  std::vector<int64_t> offsets;
  for (simdjson::dom::element record : named) offsets.push_back(int64_t(record["offset"]));
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3, 4})) << first_reply.body;
  EXPECT_EQ(records_in(), 5) << "the repeats took no event";

  // One more request without a key: once it is in, anything sent before it would be too.
  ASSERT_EQ(third.post("/v1/events?ack=delivered", "{\"n\":5}\n").status, 200);
  TopicReader reader(kafka_->bootstrap(), "idempotent", 1);
  const auto records = read_until(reader, 6, drover);
  ASSERT_EQ(records.size(), 6U);
  for (size_t n = 0; n < records.size(); ++n) {
    EXPECT_EQ(records[n].offset, static_cast<int64_t>(n));
    EXPECT_NE(records[n].value.find(fmt::format("\"n\":{}", n)), std::string::npos)
        << records[n].value;
  }
  ASSERT_EQ(drover.stop(), 0) << drover.log();
}

}  // namespace
}  // namespace drover
