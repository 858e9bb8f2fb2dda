// librdkafka's statistics JSON (emitted every statistics_interval) turned into drover metrics:
// producer queue depth, per-broker round-trip time, brokers up and down, librdkafka's own
// retries and errors.
// Called from the output's sender thread, inside rd_kafka_poll.
#pragma once

#include "agent/metrics.h"

#include <map>
#include <string>
#include <string_view>

namespace drover::outputs {

class KafkaStatistics {
 public:
  KafkaStatistics(Metrics& metrics, std::string output);

  /// Updates the metrics from one statistics document; false if it could not be read.
  bool update(std::string_view json);

 private:
  Counter& broker_gauge(const std::string& name, const std::string& broker);

  Metrics& metrics_;
  std::string output_;
  Counter& queue_messages_;
  Counter& queue_bytes_;
  Counter& retries_;
  Counter& request_errors_;
  Counter& brokers_up_;    // of the cluster's brokers (not bootstrap placeholders)
  Counter& brokers_down_;  // any state but UP: connecting, down, authenticating...
  Counter& connects_;      // connection attempts to any broker, bootstrap ones included
  std::map<std::string, Counter*> broker_gauges_;  // by metric name + broker
};

}  // namespace drover::outputs
