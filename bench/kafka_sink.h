// Where the bench ships to: librdkafka's mock cluster (in this process, so its CPU is not
// counted against the producer measured: a CPU-only sink) or one real Kafka 3.9 broker (KRaft,
// started by the tests' harness, tuned for throughput).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <memory>
#include <string>

namespace drover::bench {

class KafkaSink {
 public:
  static std::unique_ptr<KafkaSink> mock();
  static std::unique_ptr<KafkaSink> real();  // needs DROVER_KAFKA_LIBS
  virtual ~KafkaSink();

  virtual std::string name() const = 0;
  virtual std::string bootstrap() const = 0;
  virtual void create_topic(const std::string& topic, int partitions) = 0;
  /// Mock only: brokers refuse connections until set up again.
  virtual void set_down(bool down) = 0;

  /// Sum of the partitions' high watermarks: how many records the topic holds.
  int64_t records(const std::string& topic, int partitions);
  /// Reads the whole topic once and counts records and distinct lines (a hash of the value, or of
  /// its "message" field for drover's JSON envelope): with unique input lines,
  /// `records == distinct == lines written` means nothing is missing or duplicated.
  struct Census {
    int64_t records = 0;
    int64_t distinct = 0;
  };
  Census census(const std::string& topic, int partitions, bool values_are_json_envelopes);

 protected:
  KafkaSink() = default;
  rd_kafka_t* client();

 private:
  rd_kafka_t* client_ = nullptr;
};

}  // namespace drover::bench
