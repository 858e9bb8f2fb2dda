// `drover check --connect` for a Kafka output: do the brokers answer, does its fixed topic
// exist (or will drover create it). A short-lived client of its own; main thread.
#pragma once

#include "agent/registry.h"
#include "outputs/kafka/kafka_output_config.h"

#include <chrono>
#include <string>
#include <vector>

namespace drover::outputs {

std::vector<ConnectCheck> probe_kafka(const KafkaOutputConfig& config, const std::string& name,
                                      const std::string& host, std::chrono::milliseconds timeout);

}  // namespace drover::outputs
