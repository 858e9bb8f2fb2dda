// Settings of one `type = "kafka"` output and their mapping to librdkafka properties.
// Parsing validates every property against librdkafka itself, so `drover check` catches a
// bad pass-through value with its line number.
#pragma once

#include "agent/record_template.h"
#include "config/toml_reader.h"
#include "outputs/kafka/kafka_security.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drover::outputs {

struct KafkaOutputConfig {
  std::vector<std::string> brokers;  // host:port, or the single "embedded" / "embedded:PORT"
  RecordTemplate topic;
  RecordTemplate key;                                           // empty: records have no key
  std::vector<std::pair<std::string, RecordTemplate>> headers;  // name → value template
  std::string record_id_header = "drover-id";                   // format: record_id.h; empty: none
  std::optional<int32_t> partition;  // unset: by key (murmur2), or spread
  struct CreateTopic {
    int partitions = 1;
    int replication = 1;
  };
  std::optional<CreateTopic> create_topic;  // create the (fixed) topic at start if missing
  std::string compression = "lz4";
  int compression_level = -1;  // -1: the codec's default
  std::string acks = "all";
  bool idempotence = true;
  std::chrono::milliseconds linger{50};
  uint64_t batch_bytes = 1'000'000;
  uint64_t message_max_bytes = 1'000'000;
  std::chrono::milliseconds delivery_timeout{300'000};  // librdkafka's message.timeout.ms
  std::chrono::milliseconds retry_backoff{100};         // first re-produce after a failure
  std::chrono::milliseconds retry_backoff_max{30'000};
  std::string client_id;                                  // empty: "drover@<host>"
  std::chrono::milliseconds statistics_interval{10'000};  // librdkafka statistics; 0: off
  KafkaSecurity security;                                 // [tls], [sasl]
  Properties librdkafka;                                  // pass-through, applied last

  bool embedded = false;       // brokers = ["embedded"] or ["embedded:PORT"]
  uint16_t embedded_port = 0;  // 0: the mock cluster's own port only
};

KafkaOutputConfig parse_kafka_output_config(config::TomlReader& reader);

/// Every librdkafka property drover sets, in order (pass-through last). Secrets are read only
/// with `resolve_secrets` (when the producer is built); otherwise they are placeholders.
Result<Properties> librdkafka_properties(const KafkaOutputConfig& config,
                                         const std::string& bootstrap, const std::string& host,
                                         uint64_t memory_bytes, bool resolve_secrets);

}  // namespace drover::outputs
