#include "bench/kafka_sink.h"

#include "tests/kafka/kafka_cluster.h"
#include "tests/support/mock_kafka.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace drover::bench {
namespace {

class MockSink : public KafkaSink {
 public:
  std::string name() const override { return "mock"; }
  std::string bootstrap() const override { return cluster_.bootstrap(); }
  void create_topic(const std::string& topic, int partitions) override {
    cluster_.create_topic(topic, partitions);
  }
  void set_down(bool down) override {
    if (down) {
      cluster_.set_all_brokers_down();
    } else {
      cluster_.set_all_brokers_up();
    }
  }

 private:
  testing::MockKafka cluster_{1};
};

testing::KafkaClusterOptions throughput_broker() {
  testing::KafkaClusterOptions options;
  options.lifetime = std::chrono::seconds(6 * 3600);
  options.jvm_options = {"-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"};
  return options;
}

class RealSink : public KafkaSink {
 public:
  std::string name() const override { return "kafka-3.9"; }
  std::string bootstrap() const override { return cluster_.bootstrap(); }
  void create_topic(const std::string& topic, int partitions) override {
    cluster_.create_topic(topic, partitions, 1);
  }
  void set_down(bool) override { throw std::logic_error("only the mock sink goes down"); }

 private:
  testing::KafkaCluster cluster_{throughput_broker()};
};

}  // namespace

std::unique_ptr<KafkaSink> KafkaSink::mock() { return std::make_unique<MockSink>(); }
std::unique_ptr<KafkaSink> KafkaSink::real() { return std::make_unique<RealSink>(); }

KafkaSink::~KafkaSink() {
  if (client_ != nullptr) rd_kafka_destroy(client_);
}

rd_kafka_t* KafkaSink::client() {
  if (client_ == nullptr) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
    client_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (client_ == nullptr) throw std::runtime_error(error);
  }
  return client_;
}

int64_t KafkaSink::records(const std::string& topic, int partitions) {
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(client(), topic.c_str(), p, &low, &high, 5000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      total += high;
    }
  }
  return total;
}

KafkaSink::Census KafkaSink::census(const std::string& topic, int partitions,
                                    bool values_are_json_envelopes) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "drover-bench-census", error, sizeof error);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (consumer == nullptr) throw std::runtime_error(error);

  std::vector<int64_t> end(static_cast<size_t>(partitions), 0);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    rd_kafka_query_watermark_offsets(consumer, topic.c_str(), p, &low, &end[static_cast<size_t>(p)],
                                     10000);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(consumer, list);
  rd_kafka_topic_partition_list_destroy(list);

  Census census;
  std::unordered_set<uint64_t> seen;
  std::vector<int64_t> next(static_cast<size_t>(partitions), 0);
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded;
  const auto finished = [&] {
    for (int p = 0; p < partitions; ++p) {
      if (next[static_cast<size_t>(p)] < end[static_cast<size_t>(p)]) return false;
    }
    return true;
  };
  int idle_polls = 0;
  while (!finished() && idle_polls < 500) {  // 500 empty polls of 20 ms: the topic is stuck
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 20);
    if (m == nullptr) {
      ++idle_polls;
      continue;
    }
    idle_polls = 0;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      next[static_cast<size_t>(m->partition)] = m->offset + 1;
      std::string_view value(static_cast<const char*>(m->payload), m->len);
      std::string_view identity = value;
      if (values_are_json_envelopes) {
        padded = simdjson::padded_string(value);
        auto document = parser.iterate(padded);
        std::string_view message;
        if (!document.error() && !document["message"].get_string().get(message)) identity = message;
      }
      ++census.records;
      seen.insert(std::hash<std::string_view>{}(identity));
    }
    rd_kafka_message_destroy(m);
  }
  census.distinct = static_cast<int64_t>(seen.size());
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return census;
}

}  // namespace drover::bench
