// events → Kafka: applications sending events to drover's events input, over HTTP (keep-alive,
// NDJSON requests of 100 events) and over its Unix socket (NDJSON streams), shipped to the mock
// cluster: events/s until the topic holds them all, drover's CPU and peak RSS; then the latency
// of single requests at each ack level.
#pragma once

#include "bench/report.h"

#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct EventsOptions {
  uint64_t events = 1'000'000;  // per transport and run
  int connections = 4;
  int runs = 5;
  int latency_requests = 200;  // per ack level and run
  std::filesystem::path drover;
  std::filesystem::path work_dir;
};

void events_to_kafka(const EventsOptions& options, Report& report);

}  // namespace drover::bench
