// librdkafka's producer handle and its topic handles, owned together. Used only by the
// Kafka output's sender thread, which also serves its delivery reports.
#pragma once

#include "agent/status.h"
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

  /// `opaque` is handed to both callbacks.
  static Result<std::unique_ptr<Producer>> create(const Properties& properties, void* opaque,
                                                  DeliveryCallback on_delivery,
                                                  ErrorCallback on_error,
                                                  StatisticsCallback on_statistics);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  rd_kafka_t* get() const { return handle_; }
  /// The cached handle for `name` (created on first use).
  rd_kafka_topic_t* topic(const std::string& name);

 private:
  explicit Producer(rd_kafka_t* handle) : handle_(handle) {}

  rd_kafka_t* handle_;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;
};

}  // namespace drover::outputs
