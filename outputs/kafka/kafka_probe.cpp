#include "outputs/kafka/kafka_probe.h"

#include "outputs/kafka/producer.h"

#include <fmt/format.h>

#include <memory>

namespace drover::outputs {
namespace {

void ignore_delivery(rd_kafka_t*, const rd_kafka_message_t*, void*) {}
void ignore_error(rd_kafka_t*, int, const char*, void*) {}
int ignore_statistics(rd_kafka_t*, char*, size_t, void*) { return 0; }

using Metadata = std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)>;

}  // namespace

std::vector<ConnectCheck> probe_kafka(const KafkaOutputConfig& config, const std::string& name,
                                      const std::string& host, std::chrono::milliseconds timeout) {
  if (config.embedded) {
    return {{"brokers", true, "the embedded development broker, started by drover itself"}};
  }
  const std::string bootstrap = fmt::format("{}", fmt::join(config.brokers, ","));
  auto properties = librdkafka_properties(config, bootstrap, host, 16 << 20,
                                          /*resolve_secrets=*/true);
  if (!properties) return {{"client", false, properties.error().message}};
  auto producer = Producer::create(*properties, name,
                                   {nullptr, ignore_delivery, ignore_error, ignore_statistics});
  if (!producer) return {{"client", false, producer.error().message}};

  // Every topic's metadata rather than the one topic's: asking for one can make a broker
  // with auto.create.topics.enable create it, and a check must change nothing.
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t error =
      rd_kafka_metadata((*producer)->get(), 1, nullptr, &raw, static_cast<int>(timeout.count()));
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {{"brokers", false,
             fmt::format("{}: no answer within {} ms: {}", bootstrap, timeout.count(),
                         rd_kafka_err2str(error))}};
  }
  const Metadata metadata(raw, rd_kafka_metadata_destroy);
  std::vector<ConnectCheck> checks;
  checks.push_back(
      {"brokers", true,
       fmt::format("{} answers: {} broker(s) in the cluster", bootstrap, metadata->broker_cnt)});
  if (config.topic.depends_on_record()) {
    checks.push_back({"topic", true, "named per record by its template: not checked"});
    return checks;
  }
  const std::string topic = config.topic.render(SourceInfo{});
  const std::string what = fmt::format("topic {}", topic);
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = metadata->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      checks.push_back({what, true, fmt::format("exists, {} partition(s)", t.partition_cnt)});
    } else {
      checks.push_back(
          {what, false, fmt::format("{}: {}", rd_kafka_err2name(t.err), rd_kafka_err2str(t.err))});
    }
    return checks;
  }
  if (config.create_topic) {
    checks.push_back(
        {what, true,
         fmt::format("missing; drover creates it at start ({} partitions, "
                     "replication {})",
                     config.create_topic->partitions, config.create_topic->replication)});
  } else {
    checks.push_back({what, false,
                      "missing (or not visible to this client), and create_topic is off: set "
                      "create_topic, create it, or grant Describe on it"});
  }
  return checks;
}

}  // namespace drover::outputs
