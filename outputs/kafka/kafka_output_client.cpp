// KafkaOutput, the client side: the producer (made again after a fatal error), its callbacks,
// the embedded development broker and the topic it may create. Sender thread.
#include "agent/checkpoint_store.h"
#include "config/config_error.h"
#include "outputs/kafka/kafka_output.h"
#include "outputs/kafka/topic_name.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <mutex>

namespace drover::outputs {

void KafkaOutput::start_embedded_broker() {
  const auto fail = [&](const std::string& message) {
    throw ConfigError({fmt::format("outputs.{}.brokers: {}", context_.name, message)});
  };
  auto broker = EmbeddedBroker::start();
  if (!broker) fail(broker.error().message);
  embedded_ = std::move(*broker);
  bootstrap_ = embedded_->bootstrap();
  std::string address = bootstrap_;
  if (config_.embedded_port != 0) {
    auto forwarder = TcpForwarder::start(config_.embedded_port, bootstrap_);
    if (!forwarder) fail(forwarder.error().message);
    embedded_port_ = std::move(*forwarder);
    address = fmt::format("127.0.0.1:{}", config_.embedded_port);
  }
  const auto address_file =
      context_.data_dir / fmt::format("embedded-kafka-{}.address", context_.name);
  if (Status s = write_file_atomically(address_file, address + "\n"); !s) {
    spdlog::warn("output {}: {}", context_.name, s.error().message);
  }
  spdlog::warn(
      "output {}: EMBEDDED development broker listening on {} (address also in {}). "
      "It keeps data in memory only and loses it when drover stops: for trying drover "
      "out, never for production.",
      context_.name, address, address_file.string());
}

Status KafkaOutput::create_producer() {
  auto properties = librdkafka_properties(config_, bootstrap_, context_.host, context_.memory_bytes,
                                          /*resolve_secrets=*/true);
  if (!properties) return properties.error();
  auto producer = Producer::create(
      *properties, context_.name,
      {this, &KafkaOutput::on_delivery, &KafkaOutput::on_error, &KafkaOutput::on_statistics});
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  producers_created_->add();
  ++producer_generation_;
  fatal_ = false;
  return Status::ok();
}

void KafkaOutput::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<KafkaOutput*>(opaque)->handle_delivery(*message);
}

int KafkaOutput::on_statistics(rd_kafka_t*, char* json, size_t size, void* opaque) {
  static_cast<KafkaOutput*>(opaque)->statistics_.update(std::string_view(json, size));
  return 0;  // librdkafka frees the JSON
}

void KafkaOutput::on_error(rd_kafka_t* rk, int error, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaOutput*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    const rd_kafka_resp_err_t underlying = rd_kafka_fatal_error(rk, detail, sizeof detail);
    spdlog::error(
        "output {}: fatal producer error {}: {}; recreating the producer and re-sending "
        "everything not yet acknowledged",
        self->context_.name, rd_kafka_err2name(underlying), detail);
    self->fatal_ = true;
    self->errors_by_class_[static_cast<size_t>(ErrorClass::kFatal)]->add();
    if (++self->fatal_errors_ > 1) {
      spdlog::critical(
          "output {}: the producer hit a fatal error {} times since start; if this "
          "keeps happening, check the brokers' logs and the cluster's ACLs",
          self->context_.name, self->fatal_errors_);
    }
    return;
  }
  // A refused password or certificate does not heal by retrying: it is a problem an operator
  // must fix, named on /healthz and /readyz, while librdkafka keeps trying (a fixed secret on
  // the broker's side is picked up without a restart).
  const bool authentication = code == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                              code == RD_KAFKA_RESP_ERR__SSL ||
                              code == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
  if (authentication && self->context_.health != nullptr) {
    self->cannot_authenticate_ = true;
    self->context_.health->raise("output " + self->context_.name, "brokers",
                                 fmt::format("cannot authenticate: {}", reason));
  }
  // Connection trouble is reported here and again through delivery reports; librdkafka
  // reconnects by itself. _ALL_BROKERS_DOWN is known to fire on planned disconnects too.
  if (auto suppressed = self->failure_log_.allow()) {
    if (self->context_.health != nullptr) {
      self->context_.health->note_error("output " + self->context_.name,
                                        fmt::format("{}: {}", rd_kafka_err2name(code), reason));
    }
    spdlog::warn("output {}: {}: {}{}", self->context_.name, rd_kafka_err2name(code), reason,
                 *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
  }
}

void KafkaOutput::recover_from_fatal_error() {
  // Collect every outstanding report (they come back as failures and are queued for retry),
  // then start over with a new producer id.
  if (producer_) {
    rd_kafka_purge(producer_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_->get(), 1000);
    rd_kafka_poll(producer_->get(), 0);
    producer_.reset();
  }
  // Every purged record came back through its delivery report and is held by its route, in
  // read order; the routes re-send them once the new producer exists.
  for (auto& [topic, route] : routes_) {
    if (route.outstanding != 0) {
      spdlog::error(
          "output {}: {} record(s) of topic {} got no delivery report from the old "
          "producer; they stay unacknowledged until drover restarts",
          context_.name, route.outstanding, topic);
      route.outstanding = 0;
    }
  }
  if (Status s = create_producer(); !s) {
    spdlog::error("output {}: cannot recreate the producer: {}", context_.name, s.error().message);
    fatal_ = true;
    return;
  }
  wake_on_reports(queue_);
}

void KafkaOutput::ensure_topic() {
  const std::string topic = config_.topic.render(SourceInfo{});
  char error[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), config_.create_topic->partitions,
                            config_.create_topic->replication, error, sizeof error);
  if (new_topic == nullptr) {
    spdlog::error("output {}: cannot create topic {}: {}", context_.name, topic, error);
    return;
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_->get());
  rd_kafka_CreateTopics(producer_->get(), &new_topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR__TIMED_OUT;
  std::string reason = "no answer from the brokers within 30 s";
  if (event != nullptr) {
    code = rd_kafka_event_error(event);
    reason = code != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(event) : "";
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR && count == 1) {
      code = rd_kafka_topic_result_error(results[0]);
      const char* text = rd_kafka_topic_result_error_string(results[0]);
      reason = text != nullptr ? text : rd_kafka_err2str(code);
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::info("output {}: created topic {} ({} partitions, replication {})", context_.name,
                 topic, config_.create_topic->partitions, config_.create_topic->replication);
  } else if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    spdlog::info("output {}: topic {} exists already", context_.name, topic);
  } else {
    spdlog::error(
        "output {}: cannot create topic {} ({} partitions, replication {}): {}: {}; "
        "records for it wait until it exists",
        context_.name, topic, config_.create_topic->partitions, config_.create_topic->replication,
        rd_kafka_err2name(code), reason);
  }
}

}  // namespace drover::outputs
