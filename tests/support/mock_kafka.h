// librdkafka's mock cluster for tests that inject broker faults. The cluster picks its own
// ports; bootstrap() says which.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>
#include <string>

namespace drover::testing {

class MockKafka {
 public:
  explicit MockKafka(int brokers = 1) : brokers_(brokers) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (host_ == nullptr) throw std::runtime_error(error);
    cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
    if (cluster_ == nullptr) throw std::runtime_error("mock cluster did not start");
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockKafka() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

  void create_topic(const std::string& topic, int partitions) {
    rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  }
  void set_all_brokers_down() {
    for (int id = 1; id <= brokers_; ++id) rd_kafka_mock_broker_set_down(cluster_, id);
  }
  void set_all_brokers_up() {
    for (int id = 1; id <= brokers_; ++id) rd_kafka_mock_broker_set_up(cluster_, id);
  }

 private:
  int brokers_;
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace drover::testing
