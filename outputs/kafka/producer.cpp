#include "outputs/kafka/producer.h"

#include <fmt/format.h>

namespace drover::outputs {

Result<std::unique_ptr<Producer>> Producer::create(const Properties& properties, void* opaque,
                                                   DeliveryCallback on_delivery,
                                                   ErrorCallback on_error,
                                                   StatisticsCallback on_statistics) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      // librdkafka's text quotes the value: not for secrets.
      return Error{fmt::format("librdkafka property {}: {}", name,
                               is_secret_property(name) ? "invalid value (hidden)" : error)};
    }
  }
  rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_stats_cb(conf, on_statistics);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new takes ownership only on success
    return Error{fmt::format("cannot create the Kafka producer: {}", error)};
  }
  return std::unique_ptr<Producer>(new Producer(handle));
}

Producer::~Producer() {
  for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(handle_);
}

rd_kafka_topic_t* Producer::topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(handle_, name.c_str(), nullptr);
  if (topic != nullptr) topics_.emplace(name, topic);
  return topic;
}

}  // namespace drover::outputs
