#include "bench/idle_cost.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/kafka_sink.h"
#include "bench/line_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 4;
constexpr int kLinesPerFile = 2;

struct Figures {
  double cpu_percent = 0;
  double runtime_percent = 0;
  uint64_t rss = 0;
  int max_descriptors = 0;
  int64_t delivered = 0;
  int64_t expected = 0;
  std::map<std::string, double> by_thread;  // seconds on a CPU per thread name
};

void append_line(const std::filesystem::path& file, uint64_t sequence) {
  FILE* out = std::fopen(file.c_str(), "a");
  if (out == nullptr) throw std::runtime_error("cannot write " + file.string());
  LineGenerator generator(sequence);
  std::string line;
  generator.line(sequence, line);
  std::fprintf(out, "%s\n", line.c_str());
  std::fclose(out);
}

// Starts drover on `files` files (kLinesPerFile lines each), waits until they are in Kafka, then
// measures for `duration` while the first `active` files get one line each per 100 ms.
Figures watch(const IdleOptions& options, const std::string& name, int files, int active,
              const std::string& host_metrics_schema) {
  const auto dir = options.work_dir / name;
  std::filesystem::remove_all(dir);
  const auto logs = dir / "logs";
  std::filesystem::create_directories(logs);
  uint64_t sequence = 0;
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < files; ++i) {
    paths.push_back(logs / fmt::format("file-{:05}.log", i));
    for (int l = 0; l < kLinesPerFile; ++l) append_line(paths.back(), sequence++);
  }
  auto sink = KafkaSink::mock();
  // A topic per input: the files' lines are counted in theirs, apart from the host metrics.
  const std::string topic = "bench." + name + ".bench";
  sink->create_topic(topic, kPartitions);
  const auto config = write_drover_config(dir, {.include = (logs / "*.log").string(),
                                                .bootstrap = sink->bootstrap(),
                                                .topic = "bench." + name + ".{input}",
                                                .output_extra = options.output_settings,
                                                .host_metrics = active == 0,
                                                .host_metrics_schema = host_metrics_schema});
  ChildProcess drover({options.drover.string(), "run", "--config", config.string()},
                      dir / "drover.log");

  const auto settle_deadline = Clock::now() + std::chrono::minutes(5);
  while (sink->records(topic, kPartitions) < static_cast<int64_t>(sequence)) {
    if (!drover.running() || Clock::now() > settle_deadline) {
      throw std::runtime_error(fmt::format("drover did not ship the {} files' lines; see {}", files,
                                           (dir / "drover.log").string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Let start-up work (checkpoint writes, statistics) settle before the measured period.
  std::this_thread::sleep_for(std::chrono::seconds(2));

  Figures figures;
  const auto threads_before = thread_runtimes(drover.pid());
  const double cpu_before = cpu_seconds_of(drover.pid());
  const double runtime_before = runtime_seconds_of(drover.pid());
  const auto start = Clock::now();
  const auto end = start + options.duration;
  while (Clock::now() < end) {
    for (int i = 0; i < active; ++i) append_line(paths[static_cast<size_t>(i)], sequence++);
    figures.max_descriptors = std::max(figures.max_descriptors, drover.open_descriptors());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double cpu = cpu_seconds_of(drover.pid()) - cpu_before;
  const double runtime = runtime_seconds_of(drover.pid()) - runtime_before;
  for (const auto& [tid, thread] : thread_runtimes(drover.pid())) {
    const auto before = threads_before.find(tid);
    const double spent =
        thread.seconds - (before != threads_before.end() ? before->second.seconds : 0);
    figures.by_thread[thread.name] += spent;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_percent = 100 * cpu / elapsed;
  figures.runtime_percent = 100 * runtime / elapsed;
  figures.rss = drover.rss();
  figures.expected = static_cast<int64_t>(sequence);
  const auto deliver_deadline = Clock::now() + std::chrono::seconds(30);
  while ((figures.delivered = sink->records(topic, kPartitions)) < figures.expected &&
         Clock::now() < deliver_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  drover.signal(SIGTERM);
  drover.wait(std::chrono::seconds(60));
  std::filesystem::remove_all(dir);
  return figures;
}

}  // namespace

void idle_cost(const IdleOptions& options, Report& report) {
  Table table;
  table.title = fmt::format("watching files: {} s measured after the files' lines were shipped",
                            options.duration.count());
  table.columns = {"case",    "CPU % of one core (scheduler)", "CPU % (utime+stime ticks)",
                   "RSS MiB", "max open descriptors",          "lines in Kafka"};
  struct Case {
    std::string label;
    std::string name;
    int files;
    int active;
    std::string schema = "drover";
  };
  for (const Case& c :
       {Case{"10 idle files and host metrics every 10 s", "idle", 10, 0},
        Case{"the same, host metrics with schema = \"otel\"", "idle-otel", 10, 0, "otel"},
        Case{fmt::format("{} files, {} written 10 lines/s each", options.many_files,
                         options.active_files),
             "many", options.many_files, options.active_files}}) {
    std::cout << fmt::format("bench: {} for {} s\n", c.label, options.duration.count())
              << std::flush;
    const Figures f = watch(options, c.name, c.files, c.active, c.schema);
    table.rows.push_back({c.label, fixed(f.runtime_percent, 3), fixed(f.cpu_percent, 2),
                          fixed(static_cast<double>(f.rss) / (1 << 20), 1),
                          std::to_string(f.max_descriptors),
                          fmt::format("{} of {}", f.delivered, f.expected)});
    std::vector<std::pair<double, std::string>> threads;
    for (const auto& [name, seconds] : f.by_thread) threads.emplace_back(seconds, name);
    std::sort(threads.rbegin(), threads.rend());
    std::string shares;
    for (const auto& [seconds, name] : threads) {
      if (!shares.empty()) shares += ", ";
      shares += fmt::format("{} {:.1f} ms", name, seconds * 1e3);
    }
    table.notes.push_back(fmt::format("{}: per thread over the period: {}.", c.label, shares));
  }
  table.notes.push_back(
      "drover's defaults (inotify, a reconcile scan every 10 s, max_open_files 1024, JSON "
      "envelope) against the mock cluster. CPU: the time drover's threads spent on a CPU per "
      "the scheduler (schedstat, nanoseconds), and utime+stime, which the kernel samples per "
      "clock tick: coarse for a process that wakes briefly a few times a second.");
  report.add(std::move(table));
}

}  // namespace drover::bench
