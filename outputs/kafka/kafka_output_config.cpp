#include "outputs/kafka/kafka_output_config.h"

#include "outputs/kafka/topic_name.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>

namespace drover::outputs {
namespace {

// Properties drover owns through first-class keys; setting them in the pass-through table
// would silently fight the documented option.
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kOwnedProperties{{
    {"bootstrap.servers", "brokers"},
    {"compression.codec", "compression"},
    {"compression.type", "compression"},
    {"compression.level", "compression_level"},
    {"acks", "acks"},
    {"request.required.acks", "acks"},
    {"enable.idempotence", "idempotence"},
    {"linger.ms", "linger"},
    {"queue.buffering.max.ms", "linger"},
    {"message.timeout.ms", "delivery_timeout"},
    {"statistics.interval.ms", "statistics_interval"},
    {"security.protocol", "tls / sasl"},
    {"sasl.mechanisms", "sasl.mechanism"},
    {"sasl.username", "sasl.username"},
    {"sasl.password", "sasl.password_env / sasl.password_file"},
}};

bool parse_template(config::TomlReader& reader, const std::string& key, const std::string& fallback,
                    RecordTemplate& out) {
  auto parsed = RecordTemplate::parse(reader.string(key, fallback));
  if (!parsed) {
    reader.error(key, parsed.error().message);
    return false;
  }
  out = std::move(*parsed);
  return true;
}

}  // namespace

KafkaOutputConfig parse_kafka_output_config(config::TomlReader& reader) {
  KafkaOutputConfig config;
  config.brokers = reader.string_list("brokers", {});
  if (config.brokers.empty()) {
    reader.error("brokers",
                 "is required: list \"host:port\" addresses, or [\"embedded\"] to try "
                 "drover with an in-process development broker");
  }
  for (const auto& broker : config.brokers) {
    if (broker != "embedded" && !broker.starts_with("embedded:")) continue;
    if (config.brokers.size() > 1) {
      reader.error("brokers", "\"embedded\" cannot be combined with other brokers");
      break;
    }
    config.embedded = true;
    if (broker.size() > 9) {
      int port = 0;
      const auto [end, ec] =
          std::from_chars(broker.data() + 9, broker.data() + broker.size(), port);
      if (ec != std::errc() || end != broker.data() + broker.size() || port < 1 || port > 65535) {
        reader.error("brokers",
                     fmt::format("'{}': the port must be a number from 1 to 65535", broker));
      }
      config.embedded_port = static_cast<uint16_t>(port);
    }
  }
  if (parse_template(reader, "topic", "{input}", config.topic)) {
    if (config.topic.is_constant()) {
      if (auto why = invalid_topic_name(config.topic.render(SourceInfo{}))) {
        reader.error("topic", *why);
      }
    } else if (!config.topic.json_fields_have_fallbacks()) {
      reader.error("topic",
                   "every {json.FIELD} in a topic needs a fallback for records without it, "
                   "such as {json.service|other}");
    }
  }
  parse_template(reader, "key", "", config.key);
  for (const auto& [name, value] : reader.scalar_map("headers")) {
    auto parsed = RecordTemplate::parse(value);
    if (!parsed) {
      reader.error("headers", fmt::format("header '{}': {}", name, parsed.error().message));
      continue;
    }
    config.headers.emplace_back(name, std::move(*parsed));
  }
  config.compression =
      reader.one_of("compression", config.compression, {"none", "gzip", "snappy", "lz4", "zstd"});
  config.compression_level = static_cast<int>(reader.integer("compression_level", -1, -1, 12));
  if (config.compression_level > 9 && config.compression == "gzip") {
    reader.error("compression_level", "gzip levels go from 0 to 9");
  }
  config.record_id_header = reader.string("record_id_header", config.record_id_header);
  if (reader.has("partition")) {
    config.partition = static_cast<int32_t>(reader.integer("partition", 0, 0, 1'000'000));
  }
  if (config::TomlReader* create = reader.table("create_topic")) {
    KafkaOutputConfig::CreateTopic spec;
    spec.partitions = static_cast<int>(create->integer("partitions", 1, 1, 100'000));
    spec.replication = static_cast<int>(create->integer("replication", 1, 1, 32));
    if (!config.topic.is_constant()) {
      reader.error("create_topic", "needs a fixed topic name (no {field} in `topic`)");
    }
    config.create_topic = spec;
  }
  config.acks = reader.one_of("acks", config.acks, {"0", "1", "all"});
  config.idempotence = reader.boolean("idempotence", config.idempotence);
  if (config.idempotence && config.acks != "all") {
    reader.error("acks", fmt::format("acks = \"{}\" needs idempotence = false (the idempotent "
                                     "producer always waits for all replicas)",
                                     config.acks));
  }
  config.linger = reader.duration("linger", config.linger);
  config.batch_bytes = reader.size("batch_bytes", config.batch_bytes, 1);
  config.message_max_bytes = reader.size("message_max_bytes", config.message_max_bytes, 1000);
  config.delivery_timeout = reader.duration("delivery_timeout", config.delivery_timeout);
  config.retry_backoff = reader.duration("retry_backoff", config.retry_backoff);
  config.retry_backoff_max = reader.duration("retry_backoff_max", config.retry_backoff_max);
  if (config.retry_backoff_max < config.retry_backoff) {
    reader.error("retry_backoff_max", "must not be shorter than retry_backoff");
  }
  config.client_id = reader.string("client_id", "");
  config.statistics_interval = reader.duration("statistics_interval", config.statistics_interval);
  config.security = parse_kafka_security(reader);
  config.librdkafka = reader.scalar_map("librdkafka");
  for (const auto& [name, value] : config.librdkafka) {
    for (const auto& [owned, key] : kOwnedProperties) {
      if (name == owned) {
        reader.error("librdkafka",
                     fmt::format("'{}' is set by drover's `{}` key; use that instead", name, key));
      }
    }
  }

  // Let librdkafka judge every name and value now, so errors surface at `drover check`.
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  const std::string bootstrap =
      config.embedded ? "127.0.0.1:9092" : fmt::format("{}", fmt::join(config.brokers, ","));
  auto properties = librdkafka_properties(config, bootstrap, "check", 64 << 20, false);
  for (const auto& [name, value] : properties.value()) {
    char error[512];
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      const bool passed_through =
          std::any_of(config.librdkafka.begin(), config.librdkafka.end(),
                      [&name = name](const auto& p) { return p.first == name; });
      const std::string shown = is_secret_property(name) ? "(hidden)" : value;
      reader.error(passed_through ? "librdkafka" : "brokers",
                   fmt::format("librdkafka refuses {} = \"{}\": {}", name, shown, error));
    }
  }
  return config;
}

Result<Properties> librdkafka_properties(const KafkaOutputConfig& config,
                                         const std::string& bootstrap, const std::string& host,
                                         uint64_t memory_bytes, bool resolve_secrets) {
  Properties p{
      {"bootstrap.servers", bootstrap},
      {"client.id", config.client_id.empty() ? "drover@" + host : config.client_id},
      {"enable.idempotence", config.idempotence ? "true" : "false"},
      {"compression.codec", config.compression},
      {"compression.level", std::to_string(config.compression_level)},
      {"linger.ms", std::to_string(config.linger.count())},
      {"batch.size", std::to_string(config.batch_bytes)},
      {"message.max.bytes", std::to_string(config.message_max_bytes)},
      {"message.timeout.ms", std::to_string(config.delivery_timeout.count())},
      {"partitioner", "murmur2_random"},
      {"retry.backoff.ms", "100"},
      {"statistics.interval.ms", std::to_string(config.statistics_interval.count())},
      // The agent's memory budget bounds librdkafka's buffers too (I4), not its 1 GiB default.
      {"queue.buffering.max.kbytes", std::to_string(std::max<uint64_t>(1024, memory_bytes / 1024))},
      {"queue.buffering.max.messages", "0"},
  };
  if (!config.idempotence) p.emplace_back("acks", config.acks == "all" ? "-1" : config.acks);
  auto security = security_properties(config.security, resolve_secrets);
  if (!security) return security.error();
  for (auto& entry : *security) p.push_back(std::move(entry));
  for (const auto& entry : config.librdkafka) p.push_back(entry);
  return p;
}

}  // namespace drover::outputs
