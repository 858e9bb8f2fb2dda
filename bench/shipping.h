// Shipping files to Kafka with one tool and measuring it: the engine under the file and curve
// scenarios. kcat (the bare librdkafka producer, `kcat -P -l`) reads one file, so with several
// files it ships all of their lines from one file: the physical reference for the same bytes.
#pragma once

#include "bench/child_process.h"
#include "bench/kafka_sink.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace drover::bench {

struct ShipCase {
  uint64_t lines = 1000000;  // in all files together
  uint32_t line_bytes = 0;   // newline included; 0: the generator's mix of ~200-byte lines
  int files = 1;
  int partitions = 4;
  std::string compression = "lz4";
};

struct Shipper {
  std::string name;              // as the tables show it
  std::string slug;              // in file names
  std::filesystem::path drover;  // the binary; empty: kcat
  std::string codec;             // drover's: raw or json
  bool is_kcat() const { return drover.empty(); }
};

struct ShipInput {
  std::vector<std::filesystem::path> files;  // what drover tails
  std::filesystem::path joined;              // every line in one file: what kcat reads
  std::string glob;                          // matches `files`
  uint64_t bytes = 0;
};
/// Writes the case's files under `dir` (lines numbered across files, so all are unique).
ShipInput write_input(const std::filesystem::path& dir, const ShipCase& shipment);
void remove_input(const ShipInput& input);

struct ShipSettings {
  std::filesystem::path work_dir;
  std::string input_settings;   // more TOML lines for drover's input (A/B runs)
  std::string output_settings;  // and for its output
};

struct Shipment {
  bool complete = false;
  double wall_seconds = 0;
  double first_record_ms = 0;
  Usage usage;
};
/// Ships the input to a new topic and measures it: wall time from the start of the process
/// until the topic holds every line, CPU and peak RSS of the shipper alone. With `profile`,
/// `perf record` samples the shipper into that file meanwhile (the figures are then perturbed).
Shipment ship(KafkaSink& sink, const Shipper& shipper, const ShipCase& shipment,
              const ShipInput& input, const std::string& topic, const ShipSettings& settings,
              const std::filesystem::path& profile = {});

/// Medians over runs; runs that did not complete are counted, not averaged in.
struct ShipSummary {
  double lines_per_second = 0;
  double megabytes_per_second = 0;  // MB = 10^6 bytes
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
  double first_record_ms = 0;
  int incomplete = 0;
};
ShipSummary summarize(const std::vector<Shipment>& runs, const ShipCase& shipment, uint64_t bytes);

}  // namespace drover::bench
