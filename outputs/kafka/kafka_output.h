// `type = "kafka"`: drains its queue into librdkafka and completes a batch only when every
// record has a successful delivery report (never on enqueue). Failed records are re-produced
// from drover's own copy with capped exponential backoff. One sender thread runs everything
// here, including the delivery reports (rd_kafka_poll), so nothing in it needs a lock.
#pragma once

#include "agent/dead_letter_file.h"
#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "outputs/kafka/embedded_broker.h"
#include "outputs/kafka/error_class.h"
#include "outputs/kafka/kafka_output_config.h"
#include "outputs/kafka/kafka_statistics.h"
#include "outputs/kafka/producer.h"
#include "outputs/kafka/tcp_forwarder.h"

#include <array>
#include <chrono>
#include <deque>
#include <list>
#include <memory>
#include <set>
#include <string>

namespace drover::outputs {

class KafkaOutput final : public Output {
 public:
  KafkaOutput(KafkaOutputConfig config, const ComponentContext& context);
  ~KafkaOutput() override;

  Status run(BatchQueue& queue, std::stop_token stop) override;

  /// For fault-injection tests (rd_kafka_test_fatal_error); valid until a fatal error.
  rd_kafka_t* producer_handle_for_testing() const { return producer_->get(); }

 private:
  using Clock = std::chrono::steady_clock;

  struct InFlight {
    BatchPtr batch;
    std::string topic;
    rd_kafka_topic_t* topic_handle = nullptr;  // of producer generation topic_generation
    unsigned topic_generation = 0;
    std::string key;
    rd_kafka_headers_t* headers = nullptr;  // rendered once per batch, copied per record
    std::string record_id_prefix;           // "<host>:<path>:" + the record's position
    size_t next_record = 0;  // records before it were handed to librdkafka at least once
    size_t unsettled = 0;    // records neither delivered nor given up on
    uint64_t sequence = 0;   // read order, to re-send in order after a fatal error
    std::list<InFlight>::iterator self;
  };
  struct Retry {
    InFlight* batch;
    size_t record;
    Clock::time_point due;
    bool broker_time = false;  // let Kafka stamp it (after INVALID_TIMESTAMP)
  };

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  static void on_error(rd_kafka_t*, int error, const char* reason, void* opaque);
  static int on_statistics(rd_kafka_t*, char* json, size_t size, void* opaque);

  void start_embedded_broker();
  /// create_topic: makes the topic if it does not exist. Failure is logged, not fatal: records
  /// wait (their positions uncommitted) until the topic exists.
  void ensure_topic();
  Status create_producer();
  void start(BatchPtr batch);
  /// Hands the current batch's remaining records to librdkafka; false while its queue is full.
  bool produce_current();
  /// Produces one record. False if librdkafka's queue is full (try again after polling).
  /// With `broker_time`, the record is stamped "now" and keeps its own time in a header.
  bool produce(InFlight& batch, size_t record, bool broker_time = false);
  void produce_due_retries();
  void handle_delivery(const rd_kafka_message_t& message);
  void handle_failure(InFlight& batch, size_t record, rd_kafka_resp_err_t error,
                      bool reported_by_broker, bool was_broker_time = false);
  /// Re-sends records that failed MSG_SIZE_TOO_LARGE one by one, each in a request of its
  /// own: a record that only shared a broker batch with an oversized one then gets through.
  void resend_alone(std::stop_token stop);
  void settle(InFlight& batch, size_t records);
  /// Writes the records Kafka will never take to the dead-letter file, then settles them.
  void write_dead_letters();
  void recover_from_fatal_error();
  Clock::duration backoff() const;
  void abandon();

  KafkaOutputConfig config_;
  ComponentContext context_;
  std::unique_ptr<EmbeddedBroker> embedded_;
  std::unique_ptr<TcpForwarder> embedded_port_;
  std::string bootstrap_;
  std::string record_id_;  // scratch for one record's id header
  std::unique_ptr<Producer> producer_;
  std::list<InFlight> in_flight_;
  InFlight* current_ = nullptr;  // batch still being handed to librdkafka
  std::deque<Retry> retries_;
  std::set<std::string> refused_topics_;  // refused as a whole; on /healthz until one delivers
  std::deque<std::pair<InFlight*, size_t>> resend_alone_;
  struct PendingDeadLetter {
    InFlight* batch;
    size_t record;
    rd_kafka_resp_err_t error;
  };
  std::vector<PendingDeadLetter> pending_dead_letters_;
  DeadLetterFile dead_letters_;
  bool sending_alone_ = false;
  size_t unsettled_records_ = 0;
  uint64_t in_flight_bytes_ = 0;  // bytes of the batches in in_flight_
  const uint64_t max_in_flight_bytes_;
  uint64_t next_sequence_ = 0;
  unsigned consecutive_failures_ = 0;
  bool fatal_ = false;
  unsigned producer_generation_ = 0;
  LogLimiter failure_log_;
  LogLimiter rejected_log_;
  LogLimiter dead_letter_error_log_;

  Counter* delivered_;
  Counter* retried_;
  Counter* dead_lettered_;
  Counter* queue_full_;
  Counter* batches_;
  Counter* producers_created_;
  Counter* abandoned_;
  std::array<Counter*, 4> errors_by_class_{};  // indexed by ErrorClass
  unsigned fatal_errors_ = 0;
  KafkaStatistics statistics_;
};

}  // namespace drover::outputs
