#include "outputs/kafka/kafka_statistics.h"

#include <simdjson.h>

namespace drover::outputs {

KafkaStatistics::KafkaStatistics(Metrics& metrics, std::string output)
    : metrics_(metrics),
      output_(std::move(output)),
      queue_messages_(metrics.counter("drover_kafka_queue_messages", {{"output", output_}})),
      queue_bytes_(metrics.counter("drover_kafka_queue_bytes", {{"output", output_}})),
      retries_(metrics.counter("drover_kafka_retries_total", {{"output", output_}})),
      request_errors_(metrics.counter("drover_kafka_request_errors_total", {{"output", output_}})),
      brokers_up_(metrics.counter("drover_kafka_brokers", {{"output", output_}, {"state", "up"}})),
      brokers_down_(
          metrics.counter("drover_kafka_brokers", {{"output", output_}, {"state", "down"}})),
      connects_(metrics.counter("drover_kafka_connects_total", {{"output", output_}})) {}

Counter& KafkaStatistics::broker_gauge(const std::string& name, const std::string& broker) {
  Counter*& gauge = broker_gauges_[name + '\n' + broker];
  if (gauge == nullptr) gauge = &metrics_.counter(name, {{"output", output_}, {"broker", broker}});
  return *gauge;
}

bool KafkaStatistics::update(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return false;
  uint64_t value = 0;
  if (!root["msg_cnt"].get(value)) queue_messages_.set(value);
  if (!root["msg_size"].get(value)) queue_bytes_.set(value);
  simdjson::dom::object brokers;
  if (root["brokers"].get(brokers)) return true;
  uint64_t retries = 0;
  uint64_t errors = 0;
  uint64_t up = 0;
  uint64_t down = 0;
  uint64_t connects = 0;
  for (auto [name, broker] : brokers) {
    // Attempts count for bootstrap placeholders too: all a client whose credentials are
    // refused ever reaches.
    if (!broker["connects"].get(value)) connects += value;
    std::string_view nodename;
    // librdkafka's bootstrap placeholders ("...:9092/bootstrap") carry no traffic of their own.
    int64_t node_id = -1;
    if (broker["nodeid"].get(node_id) || node_id < 0) continue;
    if (broker["nodename"].get(nodename)) nodename = name;
    std::string_view state;
    if (!broker["state"].get(state)) (state == "UP" ? up : down) += 1;
    if (!broker["txretries"].get(value)) retries += value;
    if (!broker["txerrs"].get(value)) errors += value;
    if (!broker["rtt"]["avg"].get(value))
      broker_gauge("drover_kafka_broker_rtt_avg_us", std::string(nodename)).set(value);
    if (!broker["rtt"]["p99"].get(value))
      broker_gauge("drover_kafka_broker_rtt_p99_us", std::string(nodename)).set(value);
  }
  // Totals since the producer was created; a recreated producer starts again from 0.
  brokers_up_.set(up);
  brokers_down_.set(down);
  retries_.set(retries);
  request_errors_.set(errors);
  connects_.set(connects);
  return true;
}

}  // namespace drover::outputs
