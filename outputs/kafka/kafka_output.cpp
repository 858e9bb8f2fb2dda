#include "outputs/kafka/kafka_output.h"

#include "agent/checkpoint_store.h"
#include "config/config_error.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <mutex>

namespace drover::outputs {
namespace {

constexpr int kPollBusyMs = 5;  // delivery-report latency while records are in flight
constexpr auto kIdleWait = std::chrono::milliseconds(100);
// Carries a record's own time when Kafka refused it as a timestamp (INVALID_TIMESTAMP).
constexpr std::string_view kOriginalTimestampHeader = "drover-original-timestamp";

}  // namespace

KafkaOutput::KafkaOutput(KafkaOutputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      dead_letters_(context.data_dir / "dead_letter" / (context.name + ".ndjson"), context.name),
      max_in_flight_bytes_(std::max<uint64_t>(context.memory_bytes, 1 << 20)),
      statistics_(*context.metrics, context.name) {
  const Labels labels{{"output", context_.name}};
  Metrics& m = *context_.metrics;
  delivered_ = &m.counter("drover_output_records_delivered_total", labels);
  retried_ = &m.counter("drover_output_records_retried_total", labels);
  dead_lettered_ = &m.counter("drover_output_records_dead_lettered_total", labels);
  queue_full_ = &m.counter("drover_output_queue_full_total", labels);
  batches_ = &m.counter("drover_output_batches_total", labels);
  producers_created_ = &m.counter("drover_output_producers_created_total", labels);
  abandoned_ = &m.counter("drover_output_records_abandoned_total", labels);
  for (const ErrorClass c : {ErrorClass::kRetriable, ErrorClass::kRecordPermanent,
                             ErrorClass::kRoutePermanent, ErrorClass::kFatal}) {
    errors_by_class_[static_cast<size_t>(c)] =
        &m.counter("drover_output_errors_total",
                   {{"output", context_.name}, {"class", std::string(to_string(c))}});
  }

  if (config_.embedded) {
    start_embedded_broker();
  } else {
    bootstrap_ = fmt::format("{}", fmt::join(config_.brokers, ","));
  }
  if (Status s = create_producer(); !s) {
    throw ConfigError({fmt::format("outputs.{}: {}", context_.name, s.error().message)});
  }
}

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

KafkaOutput::~KafkaOutput() {
  for (auto& f : in_flight_) {
    if (f.headers != nullptr) rd_kafka_headers_destroy(f.headers);
  }
  producer_.reset();  // before the embedded broker it may be connected to
}

Status KafkaOutput::create_producer() {
  auto properties = librdkafka_properties(config_, bootstrap_, context_.host, context_.memory_bytes,
                                          /*resolve_secrets=*/true);
  if (!properties) return properties.error();
  auto producer = Producer::create(*properties, this, &KafkaOutput::on_delivery,
                                   &KafkaOutput::on_error, &KafkaOutput::on_statistics);
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
  // Connection trouble is reported here and again through delivery reports; librdkafka
  // reconnects by itself. _ALL_BROKERS_DOWN is known to fire on planned disconnects too.
  if (auto suppressed = self->failure_log_.allow()) {
    spdlog::warn("output {}: {}: {}{}", self->context_.name, rd_kafka_err2name(code), reason,
                 *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
  }
}

void KafkaOutput::start(BatchPtr batch) {
  in_flight_bytes_ += batch->memory_bytes();
  InFlight& f = in_flight_.emplace_back();
  f.self = std::prev(in_flight_.end());
  f.topic = config_.topic.render(batch->source());
  if (!config_.key.empty()) f.key = config_.key.render(batch->source());
  if (!config_.record_id_header.empty()) {
    f.record_id_prefix = fmt::format("{}:{}:", batch->source().host, batch->source().path);
  }
  if (!config_.headers.empty()) {
    f.headers = rd_kafka_headers_new(config_.headers.size());
    for (const auto& [name, value] : config_.headers) {
      const std::string rendered = value.render(batch->source());
      rd_kafka_header_add(f.headers, name.data(), static_cast<ssize_t>(name.size()),
                          rendered.data(), static_cast<ssize_t>(rendered.size()));
    }
  }
  f.unsettled = batch->record_count();
  unsettled_records_ += f.unsettled;
  f.batch = std::move(batch);
  f.sequence = next_sequence_++;
  batches_->add();
  current_ = &f;
}

bool KafkaOutput::produce(InFlight& f, size_t record, bool broker_time) {
  const std::string_view value = f.batch->record(record);
  // Looked up once per batch, again only after the producer was recreated.
  if (f.topic_generation != producer_generation_) {
    f.topic_handle = producer_->topic(f.topic);
    f.topic_generation = producer_generation_;
  }
  rd_kafka_topic_t* topic = f.topic_handle;
  if (topic == nullptr) {  // librdkafka refused the name itself: as Kafka would refuse the topic
    handle_failure(f, record, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, /*reported_by_broker=*/false);
    return true;
  }
// librdkafka's RD_KAFKA_V_* macros are C casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
  // Zero copy: the batch stays alive until every record's delivery report.
  void* payload = const_cast<char*>(value.data());
  const void* key = f.key.empty() ? nullptr : f.key.data();
  const int32_t partition = config_.partition.value_or(RD_KAFKA_PARTITION_UA);
  rd_kafka_headers_t* headers = f.headers != nullptr ? rd_kafka_headers_copy(f.headers) : nullptr;
  if (!config_.record_id_header.empty()) {
    // Stable across re-sends, so consumers can drop at-least-once duplicates.
    record_id_.assign(f.record_id_prefix);
    fmt::format_to(std::back_inserter(record_id_), "{}", f.batch->position(record));
    if (headers == nullptr) headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, config_.record_id_header.data(),
                        static_cast<ssize_t>(config_.record_id_header.size()), record_id_.data(),
                        static_cast<ssize_t>(record_id_.size()));
  }
  const int64_t timestamp = broker_time ? 0 : f.batch->timestamp_ms();  // 0: librdkafka's "now"
  if (broker_time) {
    const std::string original = std::to_string(f.batch->timestamp_ms());
    if (headers == nullptr) headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, kOriginalTimestampHeader.data(),
                        static_cast<ssize_t>(kOriginalTimestampHeader.size()), original.data(),
                        static_cast<ssize_t>(original.size()));
  }
  rd_kafka_resp_err_t error;
  if (headers == nullptr) {
    error =
        rd_kafka_producev(producer_->get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE(payload, value.size()),
                          RD_KAFKA_V_KEY(key, f.key.size()), RD_KAFKA_V_TIMESTAMP(timestamp),
                          RD_KAFKA_V_OPAQUE(&f), RD_KAFKA_V_END);
  } else {
    // producev, not produceva: 2.0.2's produceva double-frees headers (librdkafka#4627).
    error =
        rd_kafka_producev(producer_->get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE(payload, value.size()),
                          RD_KAFKA_V_KEY(key, f.key.size()), RD_KAFKA_V_HEADERS(headers),
                          RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_OPAQUE(&f), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);  // still ours
  }
#pragma GCC diagnostic pop
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  if (error == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    queue_full_->add();
    return false;
  }
  handle_failure(f, record, error, /*reported_by_broker=*/false, broker_time);
  return true;
}

bool KafkaOutput::produce_current() {
  InFlight& f = *current_;
  const size_t count = f.batch->record_count();
  while (f.next_record < count && !fatal_) {
    if (!produce(f, f.next_record)) return false;
    ++f.next_record;
  }
  if (f.next_record == count) {
    current_ = nullptr;
    settle(f, 0);  // records refused at produce time may have settled it already
  }
  return true;
}

void KafkaOutput::produce_due_retries() {
  const auto now = Clock::now();
  while (!retries_.empty() && retries_.front().due <= now && !fatal_) {
    Retry retry = retries_.front();
    if (!produce(*retry.batch, retry.record, retry.broker_time)) return;
    retries_.pop_front();
    retried_->add();
  }
}

void KafkaOutput::handle_delivery(const rd_kafka_message_t& message) {
  auto& f = *static_cast<InFlight*>(message._private);
  if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    delivered_->add();
    consecutive_failures_ = 0;
    if (!refused_topics_.empty() && refused_topics_.erase(f.topic) != 0) {
      spdlog::info("output {}: topic {} accepts records again; its held records follow",
                   context_.name, f.topic);
      if (context_.health != nullptr)
        context_.health->clear("output " + context_.name, "topic " + f.topic);
    }
    settle(f, 1);
    return;
  }
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  const bool was_broker_time =
      rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, kOriginalTimestampHeader.data(), &value, &size) ==
          RD_KAFKA_RESP_ERR_NO_ERROR;
  handle_failure(f, f.batch->index_of(static_cast<const char*>(message.payload)), message.err,
                 /*reported_by_broker=*/true, was_broker_time);
}

void KafkaOutput::handle_failure(InFlight& f, size_t record, rd_kafka_resp_err_t error,
                                 bool reported_by_broker, bool was_broker_time) {
  // The record's own time may be outside what the topic accepts: once, let Kafka stamp it.
  if (error == RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP && !was_broker_time) {
    retries_.push_back({&f, record, Clock::now(), /*broker_time=*/true});
    return;
  }
  // The broker applies its size limit to a whole batch (librdkafka#488): a small record may
  // only have shared a request with an oversized one. Only a record refused alone is too large.
  if (error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && reported_by_broker && !sending_alone_) {
    resend_alone_.emplace_back(&f, record);
    return;
  }
  const ErrorClass error_class = classify(error);
  errors_by_class_[static_cast<size_t>(error_class)]->add();
  if (error_class == ErrorClass::kRecordPermanent) {
    // Written and synced after this report is handled (no I/O inside librdkafka's callback),
    // and only then settled: the record's position commits once its dead letter is durable.
    pending_dead_letters_.push_back({&f, record, error});
    return;
  }
  if (error_class == ErrorClass::kRoutePermanent && refused_topics_.insert(f.topic).second) {
    // Nothing is dropped: the records stay held and are re-probed with backoff until the
    // operator fixes the topic or its permissions.
    const std::string why = fmt::format(
        "Kafka refuses the topic: {}: {}; its records are held, "
        "their positions uncommitted, and re-sent with backoff",
        rd_kafka_err2name(error), rd_kafka_err2str(error));
    spdlog::error("output {}: topic {}: {}", context_.name, f.topic, why);
    if (context_.health != nullptr) {
      context_.health->raise("output " + context_.name, "topic " + f.topic, why);
    }
  }
  if (error_class == ErrorClass::kFatal) fatal_ = true;
  ++consecutive_failures_;
  retries_.push_back({&f, record, Clock::now() + backoff(), was_broker_time});
  if (auto suppressed = failure_log_.allow()) {
    spdlog::warn("output {}: delivery to topic {} failed ({}: {}); retrying in {} ms{}",
                 context_.name, f.topic, to_string(error_class), rd_kafka_err2str(error),
                 std::chrono::duration_cast<std::chrono::milliseconds>(backoff()).count(),
                 *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
  }
}

void KafkaOutput::write_dead_letters() {
  if (pending_dead_letters_.empty()) return;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  Status status = Status::ok();
  for (const auto& pending : pending_dead_letters_) {
    const InFlight& f = *pending.batch;
    DeadLetter letter;
    letter.time_ms = now_ms;
    letter.error = rd_kafka_err2name(pending.error);
    letter.reason = rd_kafka_err2str(pending.error);
    letter.topic = f.topic;
    letter.key = f.key;
    if (f.headers != nullptr) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(f.headers, i, &name, &value, &size) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        letter.headers.emplace_back(name, std::string(static_cast<const char*>(value), size));
      }
    }
    letter.value = f.batch->record(pending.record);
    letter.origin = &f.batch->source();
    letter.position = f.batch->position(pending.record);
    status = dead_letters_.append(letter);
    if (!status) break;
  }
  if (status) status = dead_letters_.sync();
  if (!status) {
    // Not acknowledged, not dropped: tried again on the next turn.
    if (auto suppressed = dead_letter_error_log_.allow()) {
      spdlog::error("output {}: {}; {} record(s) wait for the dead-letter file{}", context_.name,
                    status.error().message, pending_dead_letters_.size(),
                    *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
    }
    return;
  }
  for (const auto& pending : pending_dead_letters_) {
    dead_lettered_->add();
    if (auto suppressed = rejected_log_.allow()) {
      spdlog::error(
          "output {}: Kafka will never take the {}-byte record at {}:{} (topic {}): {} "
          "({}); it is in the dead-letter file {}{}",
          context_.name, pending.batch->batch->record(pending.record).size(),
          pending.batch->batch->source().path, pending.batch->batch->position(pending.record),
          pending.batch->topic, rd_kafka_err2name(pending.error), rd_kafka_err2str(pending.error),
          dead_letters_.path().string(),
          *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
    }
  }
  // Settling may complete and free a batch: copy the list first.
  auto settled = std::move(pending_dead_letters_);
  pending_dead_letters_.clear();
  for (const auto& pending : settled) settle(*pending.batch, 1);
}

KafkaOutput::Clock::duration KafkaOutput::backoff() const {
  auto delay = config_.retry_backoff;
  for (unsigned i = 1; i < consecutive_failures_ && delay < config_.retry_backoff_max; ++i)
    delay *= 2;
  return std::min(delay, config_.retry_backoff_max);
}

void KafkaOutput::settle(InFlight& f, size_t records) {
  f.unsettled -= records;
  unsettled_records_ -= records;
  if (f.unsettled != 0 || f.next_record < f.batch->record_count() || current_ == &f) return;
  f.batch->complete();
  if (f.headers != nullptr) rd_kafka_headers_destroy(f.headers);
  in_flight_bytes_ -= f.batch->memory_bytes();
  in_flight_.erase(f.self);
}

void KafkaOutput::resend_alone(std::stop_token stop) {
  constexpr int kFlushTimeoutMs = 10'000;
  spdlog::info(
      "output {}: the broker refused a request as too large; re-sending its {} "
      "record(s) one by one to find the oversized one(s)",
      context_.name, resend_alone_.size());
  // Nothing else may be in flight, or it could share the request again.
  rd_kafka_flush(producer_->get(), kFlushTimeoutMs);
  while (!resend_alone_.empty() && !stop.stop_requested() && !fatal_) {
    auto [batch, record] = resend_alone_.front();
    resend_alone_.pop_front();
    sending_alone_ = true;
    if (produce(*batch, record)) {
      rd_kafka_flush(producer_->get(), kFlushTimeoutMs);
    } else {
      retries_.push_back({batch, record, Clock::now()});
    }
    sending_alone_ = false;
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
  if (Status s = create_producer(); !s) {
    spdlog::error("output {}: cannot recreate the producer: {}", context_.name, s.error().message);
    fatal_ = true;
  }
  // Re-send in the order the records were read.
  std::sort(retries_.begin(), retries_.end(), [](const Retry& a, const Retry& b) {
    return std::pair(a.batch->sequence, a.record) < std::pair(b.batch->sequence, b.record);
  });
}

void KafkaOutput::abandon() {
  if (producer_) {
    rd_kafka_purge(producer_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_->get(), 0);
  }
  abandoned_->add(unsettled_records_);
  if (unsettled_records_ > 0) {
    spdlog::warn(
        "output {}: stopping with {} record(s) not acknowledged by Kafka; their source "
        "positions are not committed, so they will be read and sent again on restart",
        context_.name, unsettled_records_);
  }
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

Status KafkaOutput::run(BatchQueue& queue, std::stop_token stop) {
  if (config_.create_topic) ensure_topic();
  auto next_recovery = Clock::now();
  auto recovery_delay = std::chrono::milliseconds(500);
  while (!stop.stop_requested()) {
    if (fatal_ && Clock::now() >= next_recovery) {
      recover_from_fatal_error();
      next_recovery = Clock::now() + recovery_delay;
      recovery_delay = std::min(recovery_delay * 2, std::chrono::milliseconds(30'000));
    }
    if (!producer_) {  // recreation failed: wait for the next attempt, or for stop
      std::mutex mutex;
      std::unique_lock lock(mutex);
      std::condition_variable_any().wait_until(lock, stop, next_recovery, [] { return false; });
      continue;
    }
    if (!resend_alone_.empty() && current_ == nullptr) resend_alone(stop);
    produce_due_retries();
    bool blocked = false;
    if (current_ == nullptr && !fatal_) {
      const bool idle = unsettled_records_ == 0 && retries_.empty();
      // Batches held for delivery count against the memory budget (I4): past it, the queue
      // fills and pushes back on the inputs instead of this list growing without bound.
      const bool room = in_flight_bytes_ < max_in_flight_bytes_ || in_flight_.empty();
      if (room) {
        if (auto batch = idle ? queue.pop_for(kIdleWait) : queue.try_pop())
          start(std::move(*batch));
      }
    }
    if (current_ != nullptr && !fatal_) blocked = !produce_current();
    rd_kafka_poll(producer_->get(), blocked || unsettled_records_ > 0 ? kPollBusyMs : 0);
    write_dead_letters();
    if (current_ == nullptr && unsettled_records_ == 0 && queue.closed_and_empty()) {
      return Status::ok();
    }
  }
  abandon();
  return Status::ok();
}

}  // namespace drover::outputs
