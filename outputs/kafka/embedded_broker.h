// brokers = ["embedded"]: librdkafka's mock cluster in this process, on 127.0.0.1 ports it
// picks itself. Keeps data in memory only (the newest few MiB per partition): for trying
// drover out, never for production. Owned by the Kafka output that asked for it.
#pragma once

#include "base/status.h"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

struct rd_kafka_mock_cluster_s;

namespace drover::outputs {

class EmbeddedBroker {
 public:
  static Result<std::unique_ptr<EmbeddedBroker>> start();
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  EmbeddedBroker(rd_kafka_t* host, rd_kafka_mock_cluster_s* cluster);

  rd_kafka_t* host_;
  rd_kafka_mock_cluster_s* cluster_;
  std::string bootstrap_;
};

}  // namespace drover::outputs
