#include "bench/shipping.h"

#include "bench/drover_config.h"
#include "bench/line_generator.h"
#include "bench/report.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The producer settings every tool gets: lz4 (unless the case names another codec), 50 ms
// linger, batches of 10,000 messages or 1 MB, acks=all, idempotence on.
std::vector<std::string> kcat_settings(const std::string& compression) {
  return {"-X", "compression.codec=" + compression,
          "-X", "linger.ms=50",
          "-X", "batch.num.messages=10000",
          "-X", "batch.size=1000000",
          "-X", "acks=all",
          "-X", "enable.idempotence=true"};
}

}  // namespace

ShipInput write_input(const std::filesystem::path& dir, const ShipCase& shipment) {
  std::filesystem::create_directories(dir);
  ShipInput input;
  input.glob = (dir / "part-*.log").string();
  const auto files = static_cast<uint64_t>(shipment.files);
  const uint64_t per_file = shipment.lines / files;
  for (uint64_t i = 0; i < files; ++i) {
    const auto file = dir / fmt::format("part-{:03}.log", i);
    const uint64_t lines = i + 1 == files ? shipment.lines - per_file * i : per_file;
    input.bytes += write_lines(file, lines, per_file * i, shipment.line_bytes);
    input.files.push_back(file);
  }
  if (shipment.files == 1) {
    input.joined = input.files.front();
  } else {
    input.joined = dir / "joined.txt";
    std::ofstream joined(input.joined, std::ios::binary);
    for (const auto& file : input.files) joined << std::ifstream(file, std::ios::binary).rdbuf();
  }
  return input;
}

void remove_input(const ShipInput& input) {
  std::error_code ignored;
  for (const auto& file : input.files) std::filesystem::remove(file, ignored);
  std::filesystem::remove(input.joined, ignored);
}

Shipment ship(KafkaSink& sink, const Shipper& shipper, const ShipCase& shipment,
              const ShipInput& input, const std::string& topic, const ShipSettings& settings,
              const std::filesystem::path& profile) {
  sink.create_topic(topic, shipment.partitions);
  const auto dir = settings.work_dir / topic;
  std::filesystem::create_directories(dir);
  std::vector<std::string> argv;
  if (shipper.is_kcat()) {
    argv = {"kcat", "-P", "-l", "-b", sink.bootstrap(), "-t", topic};
    const auto producer = kcat_settings(shipment.compression);
    argv.insert(argv.end(), producer.begin(), producer.end());
    argv.push_back(input.joined.string());
  } else {
    const auto config = write_drover_config(dir, {.include = input.glob,
                                                  .codec = shipper.codec,
                                                  .bootstrap = sink.bootstrap(),
                                                  .topic = topic,
                                                  .output_extra = settings.output_settings,
                                                  .input_extra = settings.input_settings,
                                                  .compression = shipment.compression});
    argv = {shipper.drover.string(), "run", "--config", config.string()};
  }

  Shipment m;
  const auto lines = static_cast<int64_t>(shipment.lines);
  const auto start = Clock::now();
  ChildProcess process(argv, dir / "output.log");
  std::optional<ChildProcess> perf;
  if (!profile.empty()) {
    // perf attaches to the threads there are: wait for the exec and the client's threads.
    const auto task_dir = fmt::format("/proc/{}/task", process.pid());
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    // Its threads: those there once their number has held still for 10 ms.
    std::ptrdiff_t threads_seen = 0;
    auto steady_since = Clock::now();
    while (Clock::now() < start + std::chrono::milliseconds(500)) {
      std::error_code error;
      const auto exe =
          std::filesystem::read_symlink(fmt::format("/proc/{}/exe", process.pid()), error);
      const auto threads = std::distance(std::filesystem::directory_iterator(task_dir, error),
                                         std::filesystem::directory_iterator());
      if (error || exe == self || threads != threads_seen) {
        threads_seen = threads;
        steady_since = Clock::now();
      } else if (threads >= 3 && Clock::now() - steady_since >= std::chrono::milliseconds(10)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    perf.emplace(perf_record(process.pid(), profile), dir / "perf.log");
  }
  // Generous: a tenth of the slowest peer's rate would still finish.
  const auto deadline = start + std::chrono::seconds(60 + shipment.lines / 10000);
  while (Clock::now() < deadline) {
    const int64_t held = sink.records(topic, shipment.partitions);
    const auto now = Clock::now();
    if (held > 0 && m.first_record_ms == 0) {
      m.first_record_ms = std::chrono::duration<double, std::milli>(now - start).count();
    }
    if (held >= lines) {
      m.complete = true;
      m.wall_seconds = std::chrono::duration<double>(now - start).count();
      break;
    }
    if (shipper.is_kcat() && !process.running() && held < lines) break;  // kcat gave up
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (perf) {
    perf->signal(SIGINT);  // perf writes its data and exits
    perf->wait(std::chrono::seconds(60));
  }
  if (shipper.is_kcat()) {
    const auto exit = process.wait(std::chrono::seconds(60));
    if (exit) m.usage = exit->usage;
  } else {
    m.usage = process.usage();  // drover keeps running; what it spent until the last record
    process.signal(SIGTERM);
    process.wait(std::chrono::seconds(60));
  }
  if (!m.complete) {
    std::cerr << fmt::format("bench: {} did not deliver {} lines to {} in time; see {}\n",
                             shipper.name, lines, topic, (dir / "output.log").string());
  }
  return m;
}

ShipSummary summarize(const std::vector<Shipment>& runs, const ShipCase& shipment, uint64_t bytes) {
  std::vector<double> walls;
  std::vector<double> cpus;
  std::vector<double> rss;
  std::vector<double> first;
  ShipSummary summary;
  for (const auto& m : runs) {
    if (!m.complete) {
      ++summary.incomplete;
      continue;
    }
    walls.push_back(m.wall_seconds);
    cpus.push_back(m.usage.cpu_seconds);
    rss.push_back(static_cast<double>(m.usage.peak_rss) / (1 << 20));
    first.push_back(m.first_record_ms);
  }
  if (walls.empty()) return summary;
  const double wall = median(walls);
  summary.lines_per_second = static_cast<double>(shipment.lines) / wall;
  summary.megabytes_per_second = static_cast<double>(bytes) / wall / 1e6;
  summary.cpu_seconds = median(cpus);
  summary.peak_rss_mib = median(rss);
  summary.first_record_ms = median(first);
  return summary;
}

}  // namespace drover::bench
