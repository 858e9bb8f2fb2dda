#include "bench/file_to_kafka.h"

#include "bench/shipping.h"

#include <fmt/format.h>

#include <iostream>
#include <map>

namespace drover::bench {

void file_to_kafka(KafkaSink& sink, const FileToKafkaOptions& options, Report& report) {
  std::vector<Shipper> tools{{"kcat -P -l", "kcat", {}, {}},
                             {"drover codec=raw", "drover-raw", options.drover, "raw"},
                             {"drover codec=json", "drover-json", options.drover, "json"}};
  if (!options.baseline.empty()) {
    tools.push_back({"baseline codec=raw", "baseline-raw", options.baseline, "raw"});
    tools.push_back({"baseline codec=json", "baseline-json", options.baseline, "json"});
  }
  const ShipSettings settings{options.work_dir, options.input_settings, options.output_settings};
  for (const uint64_t lines : options.line_counts) {
    const ShipCase shipment{.lines = lines};
    std::cout << fmt::format("bench: writing {} lines\n", lines) << std::flush;
    const ShipInput input =
        write_input(options.work_dir / fmt::format("input-{}", lines), shipment);

    std::map<std::string, std::vector<Shipment>> results;
    std::map<std::string, std::string> census_of;
    for (int run = 1; run <= options.runs; ++run) {
      for (size_t t = 0; t < tools.size(); ++t) {
        const Shipper& tool = tools[t];
        const std::string topic = fmt::format("bench.{}.{}.{}.{}", sink.name(), t, lines, run);
        std::cout << fmt::format("bench: {} sink, {} lines, run {}/{}: {}", sink.name(), lines, run,
                                 options.runs, tool.name)
                  << std::flush;
        const Shipment m = ship(sink, tool, shipment, input, topic, settings);
        std::cout << fmt::format(" → {:.2f} s, {:.2f} CPU s, {:.1f} MiB\n", m.wall_seconds,
                                 m.usage.cpu_seconds,
                                 static_cast<double>(m.usage.peak_rss) / (1 << 20));
        results[tool.name].push_back(m);
        if (run == options.runs && !options.profile_dir.empty()) {
          const auto data = options.profile_dir /
                            fmt::format("file-{}-{}.{}.perf.data", sink.name(), lines, tool.slug);
          std::cout << fmt::format("bench: profiling {} into {}\n", tool.name, data.string())
                    << std::flush;
          ship(sink, tool, shipment, input, topic + ".profiled", settings, data);
        }
        // The mock keeps only the newest ~5 MiB per partition: only a real broker can be read back.
        if (run == 1 && options.census && sink.name() != "mock" && m.complete) {
          const auto census = sink.census(topic, shipment.partitions, tool.codec == "json");
          census_of[tool.name] =
              census.records == static_cast<int64_t>(lines) && census.distinct == census.records
                  ? fmt::format("{} exact", census.records)
                  : fmt::format("FAILED: {} records, {} distinct", census.records, census.distinct);
        }
      }
    }

    Table table;
    table.title =
        fmt::format("file → Kafka ({} sink): {} lines, {:.0f} MiB, medians of {} runs", sink.name(),
                    lines, static_cast<double>(input.bytes) / (1 << 20), options.runs);
    table.columns = {"tool",       "lines/s",      "× kcat",          "CPU s",    "CPU µs/line",
                     "CPU × kcat", "peak RSS MiB", "first record ms", "read back"};
    ShipSummary kcat;
    for (const auto& tool : tools) {
      const ShipSummary s = summarize(results[tool.name], shipment, input.bytes);
      if (tool.is_kcat()) kcat = s;
      std::string read_back = census_of.count(tool.name) ? census_of[tool.name] : "-";
      if (s.incomplete > 0) read_back += fmt::format(" ({} runs incomplete)", s.incomplete);
      table.rows.push_back(
          {tool.name, fmt::format("{:.0f}", s.lines_per_second),
           fixed(kcat.lines_per_second > 0 ? s.lines_per_second / kcat.lines_per_second : 0),
           fixed(s.cpu_seconds), fixed(s.cpu_seconds / static_cast<double>(lines) * 1e6, 3),
           fixed(kcat.cpu_seconds > 0 ? s.cpu_seconds / kcat.cpu_seconds : 0),
           fixed(s.peak_rss_mib, 1), fixed(s.first_record_ms, 0), read_back});
    }
    table.notes.push_back(fmt::format(
        "Wall time runs from the start of the process until the topic's high watermarks add up to "
        "the file's lines; CPU is user + system of the shipper alone (the broker runs beside it on "
        "the same cores). {} partitions. Producer settings for all: lz4, linger 50 ms, 10,000 "
        "messages / 1 MB batches, acks=all, idempotence on; drover with its defaults otherwise "
        "(the `drover-id` header on every record, checkpoints after acks, the spill queue) unless "
        "the settings above name others.",
        shipment.partitions));
    report.add(std::move(table));
    remove_input(input);
  }
}

}  // namespace drover::bench
