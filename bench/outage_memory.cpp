#include "bench/outage_memory.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/kafka_sink.h"
#include "bench/line_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 4;

uint64_t directory_bytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_regular_file(error)) total += it->file_size(error);
  }
  return total;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Appends lines at a steady rate, 100 times a second, until told to stop.
class SteadyWriter {
 public:
  SteadyWriter(const std::filesystem::path& file, uint64_t lines_per_second)
      : thread_([this, file, lines_per_second](std::stop_token stop) {
          FILE* out = std::fopen(file.c_str(), "a");
          if (out == nullptr) {  // an exception here would end the process without a word
            std::cerr << "bench: cannot write " << file.string() << "\n";
            return;
          }
          LineGenerator generator;
          std::string line;
          const auto start = Clock::now();
          while (!stop.stop_requested()) {
            const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
            const auto due = static_cast<uint64_t>(elapsed * static_cast<double>(lines_per_second));
            uint64_t written = written_.load();
            for (; written < due; ++written) {
              generator.line(written, line);
              line.push_back('\n');
              std::fwrite(line.data(), 1, line.size(), out);
            }
            std::fflush(out);
            written_.store(written);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
          std::fclose(out);
        }) {}
  void stop() {
    thread_.request_stop();
    thread_.join();
  }
  uint64_t written() const { return written_.load(); }

 private:
  std::atomic<uint64_t> written_{0};
  std::jthread thread_;
};

}  // namespace

void outage_memory(const OutageOptions& options, Report& report) {
  const auto dir = options.work_dir / "outage";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto sink = KafkaSink::mock();
  const std::string topic = "bench.outage";
  sink->create_topic(topic, kPartitions);
  sink->set_down(true);

  const auto file = dir / "app.log";
  std::fclose(std::fopen(file.c_str(), "w"));
  const auto config =
      write_drover_config(dir, {.include = file.string(),
                                .bootstrap = sink->bootstrap(),
                                .topic = topic,
                                .output_extra = fmt::format("queue = {{ memory_bytes = {} }}\n"
                                                            "[outputs.kafka.librdkafka]\n"
                                                            "\"reconnect.backoff.max.ms\" = 1000\n",
                                                            options.memory_bytes)});
  ChildProcess drover({options.drover.string(), "run", "--config", config.string()},
                      dir / "drover.log");
  SteadyWriter writer(file, options.lines_per_second);

  struct Period {
    std::string name;
    uint64_t max_rss = 0;
    uint64_t disk_at_end = 0;
    uint64_t lines_at_end = 0;
  };
  std::vector<Period> periods;
  const auto queue_dir = dir / "data" / "queue";
  const auto start = Clock::now();
  auto sample_until = [&](Period& period, const std::function<bool()>& done) {
    while (!done()) {
      if (!drover.running())
        throw std::runtime_error("drover exited; see " + (dir / "drover.log").string());
      period.max_rss = std::max(period.max_rss, drover.rss());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    period.disk_at_end = directory_bytes(queue_dir);
    period.lines_at_end = writer.written();
  };

  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(options.duration).count();
  for (int64_t minute = 1; minute <= std::max<int64_t>(minutes, 1); ++minute) {
    Period& period = periods.emplace_back();
    period.name = fmt::format("brokers down, minute {}", minute);
    const auto end =
        start + std::min<std::chrono::seconds>(options.duration, std::chrono::minutes(minute));
    sample_until(period, [&] { return Clock::now() >= end; });
    std::cout << fmt::format(
                     "bench: outage minute {}: max RSS {:.1f} MiB, {:.0f} MiB on disk, "
                     "{} lines written\n",
                     minute, mib(period.max_rss), mib(period.disk_at_end), period.lines_at_end)
              << std::flush;
  }
  writer.stop();
  const uint64_t total = writer.written();
  sink->set_down(false);
  const auto back = Clock::now();
  Period& replay = periods.emplace_back();
  replay.name = "brokers back, until every line is in Kafka";
  const auto replay_deadline = back + std::chrono::minutes(10);
  sample_until(replay, [&] {
    return sink->records(topic, kPartitions) >= static_cast<int64_t>(total) ||
           Clock::now() >= replay_deadline;
  });
  const double replay_seconds = std::chrono::duration<double>(Clock::now() - back).count();
  const int64_t delivered = sink->records(topic, kPartitions);
  const Usage usage = drover.usage();
  drover.signal(SIGTERM);
  drover.wait(std::chrono::seconds(60));

  Table table;
  table.title =
      fmt::format("outage memory: brokers down {} s at {} lines/s, queue memory {} MiB",
                  options.duration.count(), options.lines_per_second, options.memory_bytes >> 20);
  table.columns = {"period", "max RSS MiB", "queue on disk MiB at its end", "lines written"};
  for (const auto& period : periods) {
    table.rows.push_back({period.name, fixed(mib(period.max_rss), 1),
                          fixed(mib(period.disk_at_end), 0), std::to_string(period.lines_at_end)});
  }
  table.notes.push_back(fmt::format(
      "Peak RSS over the whole run (VmHWM): {:.1f} MiB = the {} MiB budget + {:.1f} MiB. "
      "After the brokers returned, {} of {} lines were in Kafka {:.1f} s later{}.",
      mib(usage.peak_rss), options.memory_bytes >> 20,
      mib(usage.peak_rss) - static_cast<double>(options.memory_bytes >> 20), delivered, total,
      replay_seconds, delivered >= static_cast<int64_t>(total) ? "" : " — LINES MISSING"));
  table.notes.push_back(
      "Sink: librdkafka's mock cluster with its brokers set down (connections refused) and up "
      "again; RSS sampled every second from /proc/<pid>/status; drover's defaults (JSON "
      "envelope, 1 GiB disk part, fsync every_batch) with reconnect.backoff.max.ms = 1000.");
  report.add(std::move(table));
}

}  // namespace drover::bench
