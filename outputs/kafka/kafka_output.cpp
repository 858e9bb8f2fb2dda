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
// How long a flush may keep the thread from producing more once reports free room: short, as
// a flush returns early only when nothing at all is left in flight.
constexpr int kFlushWhenFullMs = 1;
// Nothing in flight: batches, delivery reports and stop all wake the thread at once, so this
// only bounds how late the gauges and an interval fsync may be. Each wake-up costs an idle
// agent CPU (issue 7: < 0.2 % of a core).
constexpr auto kIdleWait = std::chrono::milliseconds(1000);
// Nothing to send, records in flight: wait for the next batch or for delivery reports (either
// wakes us at once), and look at held records at least this often. Polling every kPollBusyMs
// instead woke the thread 200 times a second for a trickle of records.
constexpr auto kReportWait = std::chrono::milliseconds(50);

}  // namespace

KafkaOutput::KafkaOutput(KafkaOutputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      key_per_record_(config_.key.depends_on_record()),
      headers_per_record_(std::any_of(config_.headers.begin(), config_.headers.end(),
                                      [](const auto& h) { return h.second.depends_on_record(); })),
      context_(context),
      dead_letters_(context.data_dir / "dead_letter" / (context.name + ".ndjson"), context.name),
      // Three quarters of the budget at most, so the queue always has memory for what arrives
      // meanwhile and goes to disk only when Kafka falls behind, not when it is merely busy. In
      // flight is what sets the rate (librdkafka fills its batches from it); the queue needs
      // only a few batches' worth to keep the output fed.
      max_in_flight_bytes_(std::max<uint64_t>(context.memory_bytes / 4 * 3, 64 << 10)),
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

KafkaOutput::~KafkaOutput() {
  for (auto& f : in_flight_) {
    if (f.headers != nullptr) rd_kafka_headers_destroy(f.headers);
  }
  producer_.reset();  // before the embedded broker it may be connected to
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
    const bool window_full =
        current_ == nullptr && !blocked && in_flight_bytes_ >= max_in_flight_bytes_;
    if (current_ != nullptr && !fatal_ && !blocked) {
      blocked = !produce_current();
      flushed_since_produce_ = false;
    }
    if (window_full && !fatal_ && !flushed_since_produce_) {
      // Everything this output may hold is in librdkafka: waiting out linger.ms for batches that
      // can no longer grow would only stall the pipeline (a small memory budget lost half its
      // rate to it). Flushing sends them now, and serves delivery reports meanwhile. Once per
      // fill: while Kafka is away, the window stays full and polling is enough.
      rd_kafka_flush(producer_->get(), kFlushWhenFullMs);
      flushed_since_produce_ = true;
    } else {
      rd_kafka_poll(producer_->get(),
                    blocked || (unsettled_records_ > 0 && !waited) ? kPollBusyMs : 0);
    }
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
