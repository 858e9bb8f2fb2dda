#include "outputs/kafka/error_class.h"

namespace drover::outputs {

ErrorClass classify(rd_kafka_resp_err_t error) {
  switch (error) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return ErrorClass::kRecordPermanent;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return ErrorClass::kRoutePermanent;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR__FENCED:
      return ErrorClass::kFatal;
    default:
      // Anything unknown is retried: a needless retry costs time, a wrong drop costs data.
      return ErrorClass::kRetriable;
  }
}

std::string_view to_string(ErrorClass error_class) {
  switch (error_class) {
    case ErrorClass::kRetriable:
      return "retriable";
    case ErrorClass::kRecordPermanent:
      return "record_permanent";
    case ErrorClass::kRoutePermanent:
      return "route_permanent";
    case ErrorClass::kFatal:
      return "fatal";
  }
  return "unknown";
}

}  // namespace drover::outputs
