#include "bench/file_to_kafka.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/line_generator.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 4;

// The producer settings every tool gets (the issue's: lz4, 50 ms linger, batches of 10,000
// messages or 1 MB, acks=all, idempotence on).
const std::vector<std::string> kKcatProducerSettings{
    "-X", "compression.codec=lz4", "-X", "linger.ms=50", "-X", "batch.num.messages=10000",
    "-X", "batch.size=1000000",    "-X", "acks=all",     "-X", "enable.idempotence=true"};

struct Tool {
  std::string name;
  enum class Kind { kKcat, kDroverRaw, kDroverJson } kind;
};

struct Measurement {
  bool complete = false;
  double wall_seconds = 0;
  double first_record_ms = 0;
  Usage usage;
};

Measurement measure(KafkaSink& sink, const Tool& tool, const std::filesystem::path& file,
                    uint64_t lines, const std::string& topic, const FileToKafkaOptions& options) {
  sink.create_topic(topic, kPartitions);
  const auto dir = options.work_dir / topic;
  std::filesystem::create_directories(dir);
  std::vector<std::string> argv;
  if (tool.kind == Tool::Kind::kKcat) {
    argv = {"kcat", "-P", "-l", "-b", sink.bootstrap(), "-t", topic};
    argv.insert(argv.end(), kKcatProducerSettings.begin(), kKcatProducerSettings.end());
    argv.push_back(file.string());
  } else {
    const auto config =
        write_drover_config(dir, {.include = file.string(),
                                  .codec = tool.kind == Tool::Kind::kDroverJson ? "json" : "raw",
                                  .bootstrap = sink.bootstrap(),
                                  .topic = topic,
                                  .output_extra = options.output_settings,
                                  .input_extra = options.input_settings});
    argv = {options.drover.string(), "run", "--config", config.string()};
  }

  Measurement m;
  const auto start = Clock::now();
  ChildProcess process(argv, dir / "output.log");
  // Generous: a tenth of the slowest peer's rate would still finish.
  const auto deadline = start + std::chrono::seconds(60 + lines / 10000);
  while (Clock::now() < deadline) {
    const int64_t held = sink.records(topic, kPartitions);
    const auto now = Clock::now();
    if (held > 0 && m.first_record_ms == 0) {
      m.first_record_ms = std::chrono::duration<double, std::milli>(now - start).count();
    }
    if (held >= static_cast<int64_t>(lines)) {
      m.complete = true;
      m.wall_seconds = std::chrono::duration<double>(now - start).count();
      break;
    }
    if (tool.kind == Tool::Kind::kKcat && !process.running() &&
        held < static_cast<int64_t>(lines)) {
      break;  // kcat gave up
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (tool.kind == Tool::Kind::kKcat) {
    const auto exit = process.wait(std::chrono::seconds(60));
    if (exit) m.usage = exit->usage;
  } else {
    m.usage = process.usage();  // drover keeps running; what it spent until the last record
    process.signal(SIGTERM);
    process.wait(std::chrono::seconds(60));
  }
  if (!m.complete) {
    std::cerr << fmt::format("bench: {} did not deliver {} lines to {} in time; see {}\n",
                             tool.name, lines, topic, (dir / "output.log").string());
  }
  return m;
}

}  // namespace

void file_to_kafka(KafkaSink& sink, const FileToKafkaOptions& options, Report& report) {
  const std::vector<Tool> tools{{"kcat -P -l", Tool::Kind::kKcat},
                                {"drover codec=raw", Tool::Kind::kDroverRaw},
                                {"drover codec=json", Tool::Kind::kDroverJson}};
  for (const uint64_t lines : options.line_counts) {
    const auto file = options.work_dir / fmt::format("lines-{}.log", lines);
    std::cout << fmt::format("bench: writing {} lines to {}\n", lines, file.string()) << std::flush;
    const uint64_t bytes = write_lines(file, lines);

    std::map<std::string, std::vector<Measurement>> results;
    std::map<std::string, std::string> census_of;
    for (int run = 1; run <= options.runs; ++run) {
      for (const auto& tool : tools) {
        const std::string topic =
            fmt::format("bench.{}.{}.{}.{}", sink.name(), static_cast<int>(tool.kind), lines, run);
        std::cout << fmt::format("bench: {} sink, {} lines, run {}/{}: {}", sink.name(), lines, run,
                                 options.runs, tool.name)
                  << std::flush;
        const Measurement m = measure(sink, tool, file, lines, topic, options);
        std::cout << fmt::format(" → {:.2f} s, {:.2f} CPU s, {:.1f} MiB\n", m.wall_seconds,
                                 m.usage.cpu_seconds,
                                 static_cast<double>(m.usage.peak_rss) / (1 << 20));
        results[tool.name].push_back(m);
        // The mock keeps only the newest ~5 MiB per partition: only a real broker can be read back.
        if (run == 1 && options.census && sink.name() != "mock" && m.complete) {
          const auto census = sink.census(topic, kPartitions, tool.kind == Tool::Kind::kDroverJson);
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
                    lines, static_cast<double>(bytes) / (1 << 20), options.runs);
    table.columns = {"tool",       "lines/s",      "× kcat",          "CPU s",    "CPU µs/line",
                     "CPU × kcat", "peak RSS MiB", "first record ms", "read back"};
    double kcat_rate = 0;
    double kcat_cpu = 0;
    for (const auto& tool : tools) {
      std::vector<double> walls;
      std::vector<double> cpus;
      std::vector<double> rss;
      std::vector<double> first;
      int incomplete = 0;
      for (const auto& m : results[tool.name]) {
        if (!m.complete) {
          ++incomplete;
          continue;
        }
        walls.push_back(m.wall_seconds);
        cpus.push_back(m.usage.cpu_seconds);
        rss.push_back(static_cast<double>(m.usage.peak_rss) / (1 << 20));
        first.push_back(m.first_record_ms);
      }
      const double rate = walls.empty() ? 0 : static_cast<double>(lines) / median(walls);
      const double cpu = median(cpus);
      if (tool.kind == Tool::Kind::kKcat) {
        kcat_rate = rate;
        kcat_cpu = cpu;
      }
      std::string read_back = census_of.count(tool.name) ? census_of[tool.name] : "-";
      if (incomplete > 0) read_back += fmt::format(" ({} runs incomplete)", incomplete);
      table.rows.push_back({tool.name, fmt::format("{:.0f}", rate),
                            fixed(kcat_rate > 0 ? rate / kcat_rate : 0), fixed(cpu),
                            fixed(cpu / static_cast<double>(lines) * 1e6, 3),
                            fixed(kcat_cpu > 0 ? cpu / kcat_cpu : 0), fixed(median(rss), 1),
                            fixed(median(first), 0), read_back});
    }
    table.notes.push_back(
        "Wall time runs from the start of the process until the topic's high watermarks add up to "
        "the file's lines; CPU is user + system of the shipper alone (the broker runs beside it on "
        "the same cores). Producer settings for all: lz4, linger 50 ms, 10,000 messages / 1 MB "
        "batches, acks=all, idempotence on; drover with its defaults otherwise (22 MiB queue "
        "memory, the `drover-id` header on every record) unless the settings above name others.");
    report.add(std::move(table));
    std::filesystem::remove(file);
  }
}

}  // namespace drover::bench
