#include "outputs/kafka/kafka_output.h"

#include "agent/checkpoint_store.h"
#include "config/config_error.h"
#include "outputs/kafka/topic_name.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <mutex>

namespace drover::outputs {
namespace {

constexpr int kPollBusyMs = 5;  // delivery-report latency while records are in flight
// Nothing in flight: batches, delivery reports and stop all wake the thread at once, so this
// only bounds how late the gauges and an interval fsync may be. Each wake-up costs an idle
// agent CPU (issue 7: < 0.2 % of a core).
constexpr auto kIdleWait = std::chrono::milliseconds(1000);
// Nothing to send, records in flight: wait for the next batch or for delivery reports (either
// wakes us at once), and look at held records at least this often. Polling every kPollBusyMs
// instead woke the thread 200 times a second for a trickle of records.
constexpr auto kReportWait = std::chrono::milliseconds(50);
// Carries a record's own time when Kafka refused it as a timestamp (INVALID_TIMESTAMP).
constexpr std::string_view kOriginalTimestampHeader = "drover-original-timestamp";

}  // namespace

KafkaOutput::KafkaOutput(KafkaOutputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      key_per_record_(config_.key.depends_on_record()),
      headers_per_record_(std::any_of(config_.headers.begin(), config_.headers.end(),
                                      [](const auto& h) { return h.second.depends_on_record(); })),
      context_(context),
      dead_letters_(context.data_dir / "dead_letter" / (context.name + ".ndjson"), context.name),
      // Half the budget at most, so the queue always has memory for what arrives meanwhile and
      // goes to disk only when Kafka falls behind, not when it is merely busy.
      max_in_flight_bytes_(std::max<uint64_t>(context.memory_bytes / 2, 64 << 10)),
      statistics_(*context.metrics, context.name) {
  const Labels labels{{"output", context_.name}};
  Metrics& m = *context_.metrics;
  received_ = &m.counter("drover_output_records_received_total", labels);
  in_flight_records_ = &m.counter("drover_output_records_in_flight", labels);
  held_records_ = &m.counter("drover_output_records_held", labels);
  delivered_ = &m.counter("drover_output_records_delivered_total", labels);
  retried_ = &m.counter("drover_output_records_retried_total", labels);
  possibly_duplicated_ = &m.counter("drover_output_records_possibly_duplicated_total", labels);
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
  auto producer = Producer::create(*properties, context_.name,
                                   {this, &KafkaOutput::on_delivery, &KafkaOutput::on_error,
                                    &KafkaOutput::on_statistics});
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

Route& KafkaOutput::route(const std::string& topic) {
  auto it = routes_.find(topic);
  if (it == routes_.end()) {
    it = routes_.try_emplace(topic, topic, config_.retry_backoff, config_.retry_backoff_max).first;
  }
  return it->second;
}

uint64_t KafkaOutput::held_bytes(const Batch& batch) const {
  // What librdkafka allocates per message it holds, measured with 2.0.2 (RSS growth over
  // 200,000 zero-copy messages): 176 bytes of message struct (a short key is copied into it),
  // 192 more for a header list with one drover-id header. The batch's bytes alone would
  // understate memory by half for 200-byte records.
  constexpr uint64_t kMessageBytes = 192;
  constexpr uint64_t kHeaderListBytes = 192;
  const bool with_headers = !config_.headers.empty() || !config_.record_id_header.empty();
  const uint64_t per_record = kMessageBytes + (with_headers ? kHeaderListBytes : 0);
  return batch.memory_bytes() + batch.record_count() * per_record;
}

void KafkaOutput::start(BatchPtr batch) {
  InFlight& f = in_flight_.emplace_back();
  f.held_bytes = held_bytes(*batch);
  in_flight_bytes_ += f.held_bytes;
  if (queue_ != nullptr) queue_->set_held_by_output(in_flight_bytes_);
  f.self = std::prev(in_flight_.end());
  const SourceInfo& source = batch->source();
  if (!config_.topic.depends_on_record()) {
    const std::string topic = config_.topic.render(source);
    if (invalid_topic_name(topic)) {
      // e.g. "{path}" gives "/var/log/x": dead-lettered like a name from record data, rather
      // than parking the input behind a topic Kafka can never have.
      f.record_routes.assign(batch->record_count(), nullptr);
    } else {
      f.route = &route(topic);
    }
  } else {
    // Consecutive records mostly share a topic: look the route up only when it changes.
    f.record_routes.resize(batch->record_count());
    std::string previous;
    Route* previous_route = nullptr;
    for (size_t i = 0; i < batch->record_count(); ++i) {
      std::string topic = config_.topic.render(source, batch->record(i));
      if (previous_route == nullptr || topic != previous) {
        previous_route = invalid_topic_name(topic) ? nullptr : &route(topic);
        previous = std::move(topic);
      }
      f.record_routes[i] = previous_route;
    }
  }
  if (!config_.key.empty() && !key_per_record_) f.key = config_.key.render(source);
  if (!config_.record_id_header.empty()) {
    f.record_id_prefix = fmt::format("{}:{}:", source.host, source.path);
  }
  for (const auto& [name, value] : config_.headers) {
    if (value.depends_on_record()) continue;  // rendered per record
    if (f.headers == nullptr) f.headers = rd_kafka_headers_new(config_.headers.size());
    const std::string rendered = value.render(source);
    rd_kafka_header_add(f.headers, name.data(), static_cast<ssize_t>(name.size()), rendered.data(),
                        static_cast<ssize_t>(rendered.size()));
  }
  f.unsettled = batch->record_count();
  f.settled.assign(f.unsettled, false);
  unsettled_records_ += f.unsettled;
  received_->add(f.unsettled);
  f.batch = std::move(batch);
  f.sequence = next_sequence_++;
  batches_->add();
  current_ = &f;
}

rd_kafka_headers_t* KafkaOutput::headers_for(const InFlight& f, size_t record, bool broker_time) {
  rd_kafka_headers_t* headers = f.headers != nullptr ? rd_kafka_headers_copy(f.headers) : nullptr;
  const auto add = [&](std::string_view name, std::string_view value) {
    if (headers == nullptr) headers = rd_kafka_headers_new(4);
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  };
  if (headers_per_record_) {
    for (const auto& [name, value] : config_.headers) {
      if (value.depends_on_record()) {
        add(name, value.render(f.batch->source(), f.batch->record(record)));
      }
    }
  }
  if (!config_.record_id_header.empty()) {
    // Stable across re-sends, so consumers can drop at-least-once duplicates.
    record_id_.assign(f.record_id_prefix);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, f.batch->position(record)).ptr;
    record_id_.append(digits, end);
    add(config_.record_id_header, record_id_);
  }
  if (broker_time) add(kOriginalTimestampHeader, std::to_string(f.batch->timestamp_ms(record)));
  return headers;
}

std::string_view KafkaOutput::key_of(const InFlight& f, size_t record, std::string& scratch) const {
  // A key the input lifted from the record is the most specific; the output's template is
  // the fallback for records without one.
  if (const auto lifted = f.batch->key(record)) return *lifted;
  if (!key_per_record_) return f.key;
  scratch = config_.key.render(f.batch->source(), f.batch->record(record));
  return scratch;
}

bool KafkaOutput::produce(InFlight& f, size_t record, bool broker_time) {
  const std::string_view value = f.batch->record(record);
  Route& route = f.route_of(record);
  // Looked up once per topic, again only after the producer was recreated.
  if (route.handle_generation != producer_generation_) {
    route.handle = producer_->topic(route.topic());
    route.handle_generation = producer_generation_;
  }
  if (route.handle == nullptr) {  // librdkafka refused the name itself: as Kafka would refuse it
    handle_failure(f, record, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, /*reported_by_broker=*/false);
    return true;
  }
  const std::string_view key = key_of(f, record, record_key_);
// librdkafka's RD_KAFKA_V_* macros are C casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
  // Zero copy: the batch stays alive until every record's delivery report.
  void* payload = const_cast<char*>(value.data());
  const void* key_data = key.empty() ? nullptr : key.data();
  const int32_t partition = config_.partition.value_or(RD_KAFKA_PARTITION_UA);
  rd_kafka_headers_t* headers = headers_for(f, record, broker_time);
  const int64_t timestamp = broker_time ? 0 : f.batch->timestamp_ms(record);  // 0: "now"
  rd_kafka_resp_err_t error;
  if (headers == nullptr) {
    error = rd_kafka_producev(producer_->get(), RD_KAFKA_V_RKT(route.handle),
                              RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(0),
                              RD_KAFKA_V_VALUE(payload, value.size()),
                              RD_KAFKA_V_KEY(key_data, key.size()), RD_KAFKA_V_TIMESTAMP(timestamp),
                              RD_KAFKA_V_OPAQUE(&f), RD_KAFKA_V_END);
  } else {
    // producev, not produceva: 2.0.2's produceva double-frees headers (librdkafka#4627).
    error = rd_kafka_producev(
        producer_->get(), RD_KAFKA_V_RKT(route.handle), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE(payload, value.size()),
        RD_KAFKA_V_KEY(key_data, key.size()), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_OPAQUE(&f), RD_KAFKA_V_END);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);  // still ours
  }
#pragma GCC diagnostic pop
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++route.outstanding;
    return true;
  }
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
    const size_t record = f.next_record;
    if (f.route == nullptr && f.record_routes[record] == nullptr) {
      const std::string topic = config_.topic.render(f.batch->source(), f.batch->record(record));
      pending_dead_letters_.push_back(
          {&f, record, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, *invalid_topic_name(topic)});
    } else if (Route& route = f.route_of(record); route.state() != Route::State::kFlowing) {
      route.hold({&f, record});  // behind the records of its topic that wait to be re-sent
    } else if (!produce(f, record)) {
      return false;
    }
    ++f.next_record;
  }
  if (f.next_record == count) {
    current_ = nullptr;
    complete_if_settled(f);  // records refused at produce time may have settled it already
  }
  return true;
}

bool KafkaOutput::release_held_records() {
  const auto now = Clock::now();
  for (size_t i = 0; i < waiting_routes_.size() && !fatal_;) {
    Route& route = *waiting_routes_[i];
    if (route.ready_to_resend(now)) {
      if (route.parked()) {
        // One record asks whether Kafka takes the topic again; the rest wait for its answer.
        route.start_probe();
        const HeldRecord probe = route.take_oldest();
        if (!produce(*probe.batch, probe.record, probe.broker_time)) {
          route.put_back_oldest(probe);
          route.back_to_holding();
          return false;
        }
        if (probe.attempted) retried_->add();
      } else {
        route.start_release();
      }
    }
    while (route.state() == Route::State::kReleasing && route.has_held() && !fatal_) {
      const HeldRecord held = route.take_oldest();
      if (!produce(*held.batch, held.record, held.broker_time)) {
        route.put_back_oldest(held);
        return false;
      }
      if (held.attempted) retried_->add();
    }
    route.finish_release();
    if (route.state() == Route::State::kFlowing) {
      waiting_routes_.erase(waiting_routes_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  return true;
}

void KafkaOutput::hold(Route& route, const HeldRecord& record, bool refused, bool with_backoff) {
  if (route.state() == Route::State::kFlowing) waiting_routes_.push_back(&route);
  route.hold_after_failure(record, Clock::now(), refused, with_backoff);
}

void KafkaOutput::handle_delivery(const rd_kafka_message_t& message) {
  auto& f = *static_cast<InFlight*>(message._private);
  // Reports mostly come in the order records were produced (per partition, and a partition
  // sticks for a while): try the one after the last before searching the batch.
  const auto* payload = static_cast<const char*>(message.payload);
  size_t record = f.next_report;
  if (record >= f.batch->record_count() || f.batch->record(record).data() != payload) {
    record = f.batch->index_of(payload);
  }
  f.next_report = record + 1;
  Route& route = f.route_of(record);
  --route.outstanding;
  if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    delivered_->add();
    if (DeliveryReceipt* receipt = f.batch->receipt()) {
      receipt->delivered(record, context_.name, route.topic(), message.partition, message.offset);
    }
    if (route.on_delivered()) {
      spdlog::info("output {}: topic {} accepts records again; its {} held record(s) follow",
                   context_.name, route.topic(), route.held_count());
      if (context_.health != nullptr)
        context_.health->clear("output " + context_.name, "topic " + route.topic());
    }
    settle(f, record);
    return;
  }
  // Kafka may have stored it although the acknowledgement was lost: its re-send may be a
  // duplicate, which consumers can drop by its record id header.
  if (rd_kafka_message_status(&message) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED) {
    possibly_duplicated_->add();
  }
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  const bool was_broker_time =
      rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, kOriginalTimestampHeader.data(), &value, &size) ==
          RD_KAFKA_RESP_ERR_NO_ERROR;
  handle_failure(f, record, message.err, /*reported_by_broker=*/true, was_broker_time);
}

void KafkaOutput::handle_failure(InFlight& f, size_t record, rd_kafka_resp_err_t error,
                                 bool reported_by_broker, bool was_broker_time) {
  Route& route = f.route_of(record);
  // The record's own time may be outside what the topic accepts: once, let Kafka stamp it.
  if (error == RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP && !was_broker_time) {
    hold(route, {&f, record, /*attempted=*/true, /*broker_time=*/true}, /*refused=*/false,
         /*with_backoff=*/false);
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
    pending_dead_letters_.push_back({&f, record, error, {}});
    return;
  }
  const bool refused = error_class == ErrorClass::kRoutePermanent;
  if (refused && !route.parked()) {
    // Nothing is dropped: the topic's records stay held and a probe goes out after each
    // backoff until the operator fixes the topic or its permissions. Other topics flow on.
    const std::string why = fmt::format(
        "Kafka refuses the topic: {}: {}; its records are held, their positions uncommitted, "
        "and the topic is re-probed with backoff",
        rd_kafka_err2name(error), rd_kafka_err2str(error));
    spdlog::error("output {}: topic {}: {}", context_.name, route.topic(), why);
    if (context_.health != nullptr) {
      context_.health->raise("output " + context_.name, "topic " + route.topic(), why);
    }
  }
  if (error_class == ErrorClass::kFatal) fatal_ = true;
  hold(route, {&f, record, /*attempted=*/true, was_broker_time}, refused);
  if (auto suppressed = failure_log_.allow()) {
    spdlog::warn("output {}: delivery to topic {} failed ({}: {}); re-sending in {} ms{}",
                 context_.name, route.topic(), to_string(error_class), rd_kafka_err2str(error),
                 std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          route.current_backoff(Clock::now()))
                                          .count()),
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
    letter.reason = pending.reason.empty() ? std::string_view(rd_kafka_err2str(pending.error))
                                           : std::string_view(pending.reason);
    const std::string_view record = f.batch->record(pending.record);
    // DeadLetter holds views: what is rendered here must outlive append().
    const std::string topic = config_.topic.render(f.batch->source(), record);
    std::string key_scratch;
    letter.topic = topic;
    letter.key = key_of(f, pending.record, key_scratch);
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
    for (const auto& [name, value] : config_.headers) {
      if (value.depends_on_record()) {
        letter.headers.emplace_back(name, value.render(f.batch->source(), record));
      }
    }
    letter.value = record;
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
    if (DeliveryReceipt* receipt = pending.batch->batch->receipt()) {
      receipt->failed(
          pending.record, context_.name,
          fmt::format("{}: {}; in the dead-letter file", rd_kafka_err2name(pending.error),
                      pending.reason.empty() ? rd_kafka_err2str(pending.error) : pending.reason));
    }
    if (auto suppressed = rejected_log_.allow()) {
      const Batch& batch = *pending.batch->batch;
      spdlog::error(
          "output {}: Kafka will never take the {}-byte record at {}:{} (topic {}): {} "
          "({}); it is in the dead-letter file {}{}",
          context_.name, batch.record(pending.record).size(), batch.source().path,
          batch.position(pending.record),
          config_.topic.render(batch.source(), batch.record(pending.record)),
          rd_kafka_err2name(pending.error),
          pending.reason.empty() ? rd_kafka_err2str(pending.error) : pending.reason,
          dead_letters_.path().string(),
          *suppressed ? fmt::format(" ({} similar suppressed)", *suppressed) : "");
    }
  }
  // Settling may complete and free a batch: copy the list first.
  auto settled = std::move(pending_dead_letters_);
  pending_dead_letters_.clear();
  for (const auto& pending : settled) settle(*pending.batch, pending.record);
}

void KafkaOutput::settle(InFlight& f, size_t record) {
  if (f.settled[record]) return;  // a second outcome for one record: the first one counts
  f.settled[record] = true;
  --f.unsettled;
  --unsettled_records_;
  complete_if_settled(f);
}

void KafkaOutput::complete_if_settled(InFlight& f) {
  if (f.unsettled != 0 || f.next_record < f.batch->record_count() || current_ == &f) return;
  f.batch->complete();
  if (f.headers != nullptr) rd_kafka_headers_destroy(f.headers);
  in_flight_bytes_ -= f.held_bytes;
  if (queue_ != nullptr) queue_->set_held_by_output(in_flight_bytes_);
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
      hold(batch->route_of(record), {batch, record, /*attempted=*/true}, /*refused=*/false,
           /*with_backoff=*/false);
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

void KafkaOutput::update_gauges() {
  in_flight_records_->set(unsettled_records_);
  size_t held = 0;
  for (const Route* route : waiting_routes_) held += route->held_count();
  held_records_->set(held);
}

void KafkaOutput::abandon() {
  if (producer_) {
    rd_kafka_purge(producer_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_->get(), 0);
  }
  abandoned_->add(unsettled_records_);
  if (unsettled_records_ > 0) {
    spdlog::warn(
        "output {}: stopping with {} record(s) not acknowledged by Kafka; they go to the disk "
        "queue (or, without one, are read again from their sources) and are sent at the next "
        "start",
        context_.name, unsettled_records_);
  }
  update_gauges();
}

std::vector<BatchPtr> KafkaOutput::take_unfinished() {
  std::vector<BatchPtr> unfinished;
  for (InFlight& f : in_flight_) {  // in the order they were taken from the queue
    auto rest = std::make_shared<Batch>(f.batch->source_ptr(), f.batch->timestamp_ms());
    for (size_t i = 0; i < f.batch->record_count(); ++i) {
      if (!f.settled[i]) rest->add_record_from(*f.batch, i);
    }
    rest->set_ack(f.batch->ack_group());  // safe once saved: delivered records need no re-send
    unfinished.push_back(std::move(rest));
    if (f.headers != nullptr) rd_kafka_headers_destroy(f.headers);
  }
  in_flight_.clear();  // handed over: nothing here may complete them any more
  current_ = nullptr;
  return unfinished;
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

void KafkaOutput::on_reports_ready(rd_kafka_t*, void* opaque) {
  static_cast<BatchQueue*>(opaque)->wake_consumer();
}

void KafkaOutput::wake_on_reports(BatchQueue* queue) {
  if (!producer_) return;
  // librdkafka calls back, from its own thread, when its report queue stops being empty: a
  // delivery report then waits for nobody (a producer waiting on ack = "delivered" does). Set and
  // cleared under that queue's lock, so no call is still running once cleared.
  rd_kafka_queue_t* reports = rd_kafka_queue_get_main(producer_->get());
  rd_kafka_queue_cb_event_enable(
      reports, queue != nullptr ? &KafkaOutput::on_reports_ready : nullptr, queue);
  rd_kafka_queue_destroy(reports);
}

Status KafkaOutput::run(BatchQueue& queue, std::stop_token stop) {
  queue_ = &queue;
  wake_on_reports(&queue);
  std::stop_callback wake_on_stop(stop, [&queue] { queue.wake_consumer(); });
  const auto stop_waking = [&] { wake_on_reports(nullptr); };
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
    bool blocked = !waiting_routes_.empty() && !release_held_records();
    bool waited = false;
    if (current_ == nullptr && !fatal_ && !blocked) {
      const bool idle = unsettled_records_ == 0;
      // Batches held for delivery count against the memory budget (I4): past it, the queue
      // fills and pushes back on the inputs instead of this list growing without bound.
      const bool room = in_flight_bytes_ < max_in_flight_bytes_ || in_flight_.empty();
      // Held records and lone re-sends have their own deadlines: keep the short poll for them.
      const bool only_reports = waiting_routes_.empty() && resend_alone_.empty();
      if (room) {
        waited = idle || only_reports;
        if (auto batch = waited ? queue.pop_for(idle ? kIdleWait : kReportWait) : queue.try_pop())
          start(std::move(*batch));
      }
    }
    if (current_ != nullptr && !fatal_ && !blocked) blocked = !produce_current();
    rd_kafka_poll(producer_->get(),
                  blocked || (unsettled_records_ > 0 && !waited) ? kPollBusyMs : 0);
    write_dead_letters();
    update_gauges();
    if (current_ == nullptr && unsettled_records_ == 0 && queue.closed_and_empty()) {
      stop_waking();
      return Status::ok();
    }
  }
  stop_waking();
  abandon();
  return Status::ok();
}

}  // namespace drover::outputs
