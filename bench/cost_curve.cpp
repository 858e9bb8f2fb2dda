#include "bench/cost_curve.h"

#include "bench/shipping.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace drover::bench {
namespace {

struct CurvePoint {
  std::string axis;   // what changed: "line size", "files", "partitions", "compression"
  std::string label;  // its value
  ShipCase shipment;
};

std::vector<CurvePoint> points(uint64_t bytes_per_case) {
  const auto base = [&](uint32_t line_bytes) {
    return ShipCase{.lines = bytes_per_case / line_bytes,
                    .line_bytes = line_bytes,
                    .files = 1,
                    .partitions = 1,
                    .compression = "lz4"};
  };
  std::vector<CurvePoint> out;
  for (const uint32_t size : {64U, 200U, 1024U, 16384U}) {
    out.push_back({"line size",
                   size < 1024 ? fmt::format("{} B", size) : fmt::format("{} KiB", size / 1024),
                   base(size)});
  }
  for (const int files : {10, 100}) {
    ShipCase c = base(200);
    c.files = files;
    out.push_back({"files", fmt::format("{} files", files), c});
  }
  ShipCase wide = base(200);
  wide.partitions = 12;
  out.push_back({"partitions", "12 partitions", wide});
  for (const char* codec : {"gzip", "zstd"}) {
    ShipCase c = base(200);
    c.compression = codec;
    out.push_back({"compression", codec, c});
  }
  return out;
}

}  // namespace

void cost_curve(KafkaSink& sink, const CostCurveOptions& options, Report& report) {
  const Shipper kcat{"kcat -P -l", "kcat", {}, {}};
  const Shipper drover{"drover codec=raw", "drover-raw", options.drover, "raw"};
  const ShipSettings settings{options.work_dir, options.input_settings, options.output_settings};

  Table table;
  table.title = fmt::format(
      "cost curve ({} sink): about {} MiB per case, drover codec=raw against kcat, medians of {} "
      "runs",
      sink.name(), options.bytes_per_case >> 20, options.runs);
  table.columns = {"case",      "lines",       "kcat lines/s", "drover lines/s",     "× kcat",
                   "kcat MB/s", "drover MB/s", "CPU × kcat",   "drover peak RSS MiB"};
  std::ofstream data;
  if (!options.data_file.empty()) {
    data.open(options.data_file);
    data << "# line_bytes\tkcat_MBps\tdrover_MBps\tkcat_lines_per_s\tdrover_lines_per_s\n";
  }
  int index = 0;
  for (const auto& point : points(options.bytes_per_case)) {
    const std::string name =
        point.axis == "line size" ? point.label : fmt::format("200 B, {}", point.label);
    std::cout << fmt::format("bench: cost curve, {}: writing {} lines\n", name,
                             point.shipment.lines)
              << std::flush;
    const ShipInput input =
        write_input(options.work_dir / fmt::format("curve-{}", index), point.shipment);
    std::vector<Shipment> kcat_runs;
    std::vector<Shipment> drover_runs;
    for (int run = 1; run <= options.runs; ++run) {
      for (const Shipper* tool : {&kcat, &drover}) {
        const std::string topic = fmt::format("curve.{}.{}.{}", index, tool->slug, run);
        const Shipment m = ship(sink, *tool, point.shipment, input, topic, settings);
        std::cout << fmt::format("bench: {} run {}/{}: {} → {:.2f} s, {:.2f} CPU s\n", name, run,
                                 options.runs, tool->name, m.wall_seconds, m.usage.cpu_seconds)
                  << std::flush;
        (tool == &kcat ? kcat_runs : drover_runs).push_back(m);
      }
    }
    const ShipSummary k = summarize(kcat_runs, point.shipment, input.bytes);
    const ShipSummary d = summarize(drover_runs, point.shipment, input.bytes);
    const auto ratio = [](double a, double b) { return fixed(b > 0 ? a / b : 0); };
    std::string drover_rate = fmt::format("{:.0f}", d.lines_per_second);
    if (d.incomplete + k.incomplete > 0) {
      drover_rate += fmt::format(" ({} runs incomplete)", d.incomplete + k.incomplete);
    }
    table.rows.push_back({name, std::to_string(point.shipment.lines),
                          fmt::format("{:.0f}", k.lines_per_second), drover_rate,
                          ratio(d.lines_per_second, k.lines_per_second),
                          fixed(k.megabytes_per_second, 1), fixed(d.megabytes_per_second, 1),
                          ratio(d.cpu_seconds, k.cpu_seconds), fixed(d.peak_rss_mib, 1)});
    if (data.is_open() && point.axis == "line size") {
      data << fmt::format("{}\t{:.1f}\t{:.1f}\t{:.0f}\t{:.0f}\n", point.shipment.line_bytes,
                          k.megabytes_per_second, d.megabytes_per_second, k.lines_per_second,
                          d.lines_per_second);
    }
    remove_input(input);
    ++index;
  }
  table.notes.push_back(
      "Each case changes one thing from the base case (200-byte lines, 1 file, 1 partition, "
      "lz4). Lines are exactly the size named, newline included; MB = 10^6 bytes of lines. With "
      "several files drover tails each while kcat ships all their lines from one file. Producer "
      "settings as in the file scenario (linger 50 ms, 1 MB batches, acks=all, idempotence).");
  report.add(std::move(table));
}

}  // namespace drover::bench
