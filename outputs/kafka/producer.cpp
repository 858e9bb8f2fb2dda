#include "outputs/kafka/producer.h"

#include <fmt/format.h>

namespace drover::outputs {

struct Producer::Hooks {
  Hooks(Callbacks callbacks_in, std::string output)
      : callbacks(callbacks_in), log(std::move(output)) {}

  Callbacks callbacks;
  KafkaLog log;

  static Hooks& of(void* opaque) { return *static_cast<Hooks*>(opaque); }
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) {
    Hooks& hooks = of(opaque);
    hooks.callbacks.on_delivery(rk, message, hooks.callbacks.owner);
  }
  static void on_error(rd_kafka_t* rk, int error, const char* reason, void* opaque) {
    Hooks& hooks = of(opaque);
    hooks.callbacks.on_error(rk, error, reason, hooks.callbacks.owner);
  }
  static int on_statistics(rd_kafka_t* rk, char* json, size_t size, void* opaque) {
    Hooks& hooks = of(opaque);
    return hooks.callbacks.on_statistics(rk, json, size, hooks.callbacks.owner);
  }
};

Result<std::unique_ptr<Producer>> Producer::create(const Properties& properties,
                                                   const std::string& output, Callbacks callbacks) {
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
  auto hooks = std::make_unique<Hooks>(callbacks, output);
  KafkaLog::set_finder([](void* opaque) { return &Hooks::of(opaque).log; });
  KafkaLog::install(conf);
  rd_kafka_conf_set_opaque(conf, hooks.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Hooks::on_delivery);
  rd_kafka_conf_set_error_cb(conf, &Hooks::on_error);
  rd_kafka_conf_set_stats_cb(conf, &Hooks::on_statistics);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new takes ownership only on success
    return Error{fmt::format("cannot create the Kafka producer: {}", error)};
  }
  return std::unique_ptr<Producer>(new Producer(handle, std::move(hooks)));
}

Producer::Producer(rd_kafka_t* handle, std::unique_ptr<Hooks> hooks)
    : handle_(handle), hooks_(std::move(hooks)) {}

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
