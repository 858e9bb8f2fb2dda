// The one place where Kafka errors are sorted into what drover does about them (I2, I3).
#pragma once

#include <librdkafka/rdkafka.h>

#include <string_view>

namespace drover::outputs {

enum class ErrorClass {
  kRetriable,        // the record is fine; try again later (broker down, timeout, leader moved)
  kRecordPermanent,  // Kafka will never take this record (too large, invalid)
  kRoutePermanent,   // Kafka refuses the topic as a whole (not authorized, does not exist)
  kFatal,            // the producer instance is unusable; recreate it
};

ErrorClass classify(rd_kafka_resp_err_t error);
std::string_view to_string(ErrorClass error_class);

}  // namespace drover::outputs
