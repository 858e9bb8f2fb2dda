// librdkafka's producer handle and its topic handles, owned together. Used only by the
// Kafka output's sender thread, which also serves its delivery reports.
#pragma once

#include "base/status.h"
#include "outputs/kafka/kafka_log.h"
#include "outputs/kafka/kafka_output_config.h"

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

namespace drover::outputs {

class Producer {
 public:
  using DeliveryCallback = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);
  using ErrorCallback = void (*)(rd_kafka_t*, int, const char*, void*);
  using StatisticsCallback = int (*)(rd_kafka_t*, char*, size_t, void*);

  struct Callbacks {
    void* owner;  // handed to each callback as its opaque
    DeliveryCallback on_delivery;
    ErrorCallback on_error;
    StatisticsCallback on_statistics;
  };

  /// `output` names the output in librdkafka's log lines, which go to drover's log.
  static Result<std::unique_ptr<Producer>> create(const Properties& properties,
                                                  const std::string& output, Callbacks callbacks);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  rd_kafka_t* get() const { return handle_; }
  /// The cached handle for `name` (created on first use).
  rd_kafka_topic_t* topic(const std::string& name);

 private:
  struct Hooks;  // librdkafka's opaque: the callbacks and the log
  Producer(rd_kafka_t* handle, std::unique_ptr<Hooks> hooks);

  rd_kafka_t* handle_;
  std::unique_ptr<Hooks> hooks_;  // outlives handle_: destroyed after it
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;
};

}  // namespace drover::outputs
