// KafkaOutput, outcomes: delivery reports settle records, classify failures into retry, dead
// letter or park (I2, I3), and complete a batch once all of its records are settled. Sender thread.
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
    if (cannot_authenticate_ && context_.health != nullptr) {
      cannot_authenticate_ = false;
      context_.health->clear("output " + context_.name, "brokers");
      spdlog::info("output {}: the brokers accept drover's credentials again", context_.name);
    }
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
    if (context_.health != nullptr) {
      context_.health->note_error("output " + context_.name,
                                  fmt::format("delivery to topic {} failed ({}: {})", route.topic(),
                                              to_string(error_class), rd_kafka_err2str(error)));
    }
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

}  // namespace drover::outputs
