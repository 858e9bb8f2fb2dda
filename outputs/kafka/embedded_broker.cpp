#include "outputs/kafka/embedded_broker.h"

#include "outputs/kafka/kafka_log.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka_mock.h>

namespace drover::outputs {

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::start() {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  KafkaLog::install(conf);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (host == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{fmt::format("cannot start the embedded broker: {}", error)};
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 1);
  if (cluster == nullptr) {
    rd_kafka_destroy(host);
    return Error{"cannot start the embedded broker: librdkafka's mock cluster failed to start"};
  }
  return std::unique_ptr<EmbeddedBroker>(new EmbeddedBroker(host, cluster));
}

EmbeddedBroker::EmbeddedBroker(rd_kafka_t* host, rd_kafka_mock_cluster_s* cluster)
    : host_(host), cluster_(cluster), bootstrap_(rd_kafka_mock_cluster_bootstraps(cluster)) {}

EmbeddedBroker::~EmbeddedBroker() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

}  // namespace drover::outputs
