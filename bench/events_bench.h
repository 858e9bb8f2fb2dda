// events → Kafka: applications sending events to drover's events input over every transport
// (HTTP keep-alive, HTTP chunked, HTTPS, the Unix socket as a stream and as batches with
// replies), shipped to the mock cluster: events/s until the topic holds them all, drover's CPU
// and peak RSS; the latency of single requests at each ack level; and ack=durable from 1, 16
// and 64 concurrent clients while every batch goes to the disk queue (group commit).
#pragma once

#include "bench/report.h"

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace drover::bench {

struct EventsOptions {
  uint64_t events = 1'000'000;  // per transport and run
  int connections = 4;
  int runs = 5;
  int latency_requests = 1000;                   // per transport and run at accepted (÷5 others)
  std::chrono::microseconds latency_pace{2000};  // between the starts of timed requests
  std::chrono::seconds durable_seconds{3};       // per figure of the durable group-commit table
  std::chrono::microseconds sync_delay{2000};    // the slower disk\'s extra time per sync
  std::filesystem::path drover;
  std::filesystem::path work_dir;
};

void events_to_kafka(const EventsOptions& options, Report& report);

}  // namespace drover::bench
