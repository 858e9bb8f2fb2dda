// KafkaOutput, sending: a batch taken from the queue becomes librdkafka messages (topic, key,
// headers rendered per record), and what a route holds back is sent again in order. Sender thread.
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
    f.record_id.emplace(source);
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
    if (headers == nullptr) headers = rd_kafka_headers_new(1);  // mostly just the record id
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
  if (f.record_id) {
    RecordId::Buffer id;
    add(config_.record_id_header, f.record_id->render(f.batch->position(record), id));
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

}  // namespace drover::outputs
