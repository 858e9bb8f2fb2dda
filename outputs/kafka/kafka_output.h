// `type = "kafka"`: drains its queue into librdkafka and completes a batch only when every
// record has a successful delivery report (never on enqueue). Failed records are re-produced
// from drover's own copy with capped exponential backoff. One sender thread runs everything
// here, including the delivery reports (rd_kafka_poll), so nothing in it needs a lock.
// kafka_output.cpp has the loop, kafka_output_send.cpp the producing, kafka_output_delivery.cpp
// the outcomes, kafka_output_client.cpp the librdkafka client and what surrounds it.
#pragma once

#include "agent/dead_letter_file.h"
#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "outputs/kafka/embedded_broker.h"
#include "outputs/kafka/error_class.h"
#include "outputs/kafka/kafka_output_config.h"
#include "outputs/kafka/kafka_statistics.h"
#include "outputs/kafka/producer.h"
#include "outputs/kafka/route.h"
#include "outputs/kafka/tcp_forwarder.h"

#include <array>
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace drover::outputs {

class KafkaOutput final : public Output {
 public:
  KafkaOutput(KafkaOutputConfig config, const ComponentContext& context);
  ~KafkaOutput() override;

  Status run(BatchQueue& queue, std::stop_token stop) override;
  std::vector<BatchPtr> take_unfinished() override;

  /// For fault-injection tests (rd_kafka_test_fatal_error); valid until a fatal error.
  rd_kafka_t* producer_handle_for_testing() const { return producer_->get(); }

 private:
  using Clock = std::chrono::steady_clock;

  using InFlight = InFlightBatch;
  // Carries a record's own time when Kafka refused it as a timestamp (INVALID_TIMESTAMP).
  static constexpr std::string_view kOriginalTimestampHeader = "drover-original-timestamp";

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t*, int error, const char* reason, void* opaque);
  static int on_statistics(rd_kafka_t*, char* json, size_t size, void* opaque);

  void start_embedded_broker();
  /// create_topic: makes the topic if it does not exist. Failure is logged, not fatal: records
  /// wait (their positions uncommitted) until the topic exists.
  void ensure_topic();
  Status create_producer();
  /// Has librdkafka wake `queue`'s consumer (this output's pop_for) when delivery reports are
  /// ready; nullptr stops it.
  void wake_on_reports(BatchQueue* queue);
  static void on_reports_ready(rd_kafka_t* rk, void* opaque);
  Route& route(const std::string& topic);
  void start(BatchPtr batch);
  /// Hands the current batch's remaining records to librdkafka (or to their route's held
  /// records, if the route is not flowing); false while librdkafka's queue is full.
  bool produce_current();
  /// Produces one record. False if librdkafka's queue is full (try again after polling).
  /// With `broker_time`, the record is stamped "now" and keeps its own time in a header.
  bool produce(InFlight& batch, size_t record, bool broker_time = false);
  rd_kafka_headers_t* headers_for(const InFlight& batch, size_t record, bool broker_time);
  /// The record's key: its own, else the output's template; `scratch` holds a rendered one.
  std::string_view key_of(const InFlight& batch, size_t record, std::string& scratch) const;
  /// Re-sends what routes hold, in read order, once they may; false while the queue is full.
  bool release_held_records();
  /// The route no longer sends straight to librdkafka: serve it in release_held_records().
  void hold(Route& route, const HeldRecord& record, bool refused, bool with_backoff = true);
  void handle_delivery(const rd_kafka_message_t& message);
  void handle_failure(InFlight& batch, size_t record, rd_kafka_resp_err_t error,
                      bool reported_by_broker, bool was_broker_time = false);
  /// Re-sends records that failed MSG_SIZE_TOO_LARGE one by one, each in a request of its
  /// own: a record that only shared a broker batch with an oversized one then gets through.
  void resend_alone(std::stop_token stop);
  /// The record is delivered or dead-lettered; completes its batch once all of them are.
  void settle(InFlight& batch, size_t record);
  void complete_if_settled(InFlight& batch);
  /// Writes the records Kafka will never take to the dead-letter file, then settles them.
  void write_dead_letters();
  void recover_from_fatal_error();
  void update_gauges();
  void abandon();
  /// A batch's bytes plus what librdkafka keeps per record of it.
  uint64_t held_bytes(const Batch& batch) const;

  KafkaOutputConfig config_;
  // Whether key and headers read the record ({json.*}): decided once, asked per record.
  bool key_per_record_;
  bool headers_per_record_;
  ComponentContext context_;
  std::unique_ptr<EmbeddedBroker> embedded_;
  std::unique_ptr<TcpForwarder> embedded_port_;
  std::string bootstrap_;
  std::string record_key_;  // scratch for a key rendered from the record
  std::unique_ptr<Producer> producer_;
  std::list<InFlight> in_flight_;
  InFlight* current_ = nullptr;         // batch still being handed to librdkafka
  bool flushed_since_produce_ = false;  // librdkafka was told to send what it lingers on
  std::map<std::string, Route, std::less<>> routes_;  // by topic; nodes never move
  std::vector<Route*> waiting_routes_;                // the routes that are not flowing
  std::deque<std::pair<InFlight*, size_t>> resend_alone_;
  struct PendingDeadLetter {
    InFlight* batch;
    size_t record;
    rd_kafka_resp_err_t error;
    std::string reason;  // empty: librdkafka's text for the error
  };
  std::vector<PendingDeadLetter> pending_dead_letters_;
  DeadLetterFile dead_letters_;
  bool sending_alone_ = false;
  size_t unsettled_records_ = 0;
  uint64_t in_flight_bytes_ = 0;  // held_bytes() of the batches in in_flight_
  BatchQueue* queue_ = nullptr;   // told in_flight_bytes_: one memory budget for both (I4)
  const uint64_t max_in_flight_bytes_;
  uint64_t next_sequence_ = 0;
  bool fatal_ = false;
  unsigned producer_generation_ = 0;
  LogLimiter failure_log_;
  LogLimiter rejected_log_;
  LogLimiter dead_letter_error_log_;

  Counter* received_;
  Counter* in_flight_records_;  // gauge: taken from the queue, not yet delivered or given up on
  Counter* held_records_;       // gauge: of those, waiting in a route to be re-sent
  Counter* delivered_;
  Counter* retried_;
  Counter* possibly_duplicated_;  // re-sent although Kafka may have stored them already
  Counter* dead_lettered_;
  Counter* queue_full_;
  Counter* batches_;
  Counter* producers_created_;
  Counter* abandoned_;
  std::array<Counter*, 4> errors_by_class_{};  // indexed by ErrorClass
  unsigned fatal_errors_ = 0;
  // The brokers refuse who we are (wrong password, untrusted certificate): on /healthz and
  // /readyz until a record is delivered again.
  bool cannot_authenticate_ = false;
  KafkaStatistics statistics_;
};

}  // namespace drover::outputs
