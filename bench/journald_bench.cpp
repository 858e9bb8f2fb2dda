#include "bench/journald_bench.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/kafka_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 4;
constexpr const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

// ~100 bytes of a service's log line, unique by `n`.
std::string message_of(uint64_t n) {
  return fmt::format("request {} served: GET /api/v1/items/{} status={} bytes={} duration_ms={}", n,
                     n * 7919 % 100000, n % 13 == 0 ? 500 : 200, n % 9973, n % 997);
}

// Writes `count` records from `first` to the source: journal entries in export format, or lines.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual void write(uint64_t first, uint64_t count) = 0;
  virtual void close() = 0;
};

class JournalWriter final : public Writer {
 public:
  explicit JournalWriter(const std::filesystem::path& file) {
    const std::string command =
        fmt::format("{} --output='{}' - >/dev/null 2>&1", kJournalRemote, file.string());
    // "e": close-on-exec, or drover, started after, would hold the pipe open and
    // journal-remote would never see its end.
    pipe_ = ::popen(command.c_str(), "we");
    if (pipe_ == nullptr) throw std::runtime_error("cannot start " + std::string(kJournalRemote));
  }
  ~JournalWriter() override { close(); }
  void write(uint64_t first, uint64_t count) override {
    std::string text;
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (uint64_t n = first; n < first + count; ++n) {
      text += fmt::format(
          "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n"
          "_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE={}\nPRIORITY=6\n"
          "_SYSTEMD_UNIT=api.service\n_PID=4242\n_HOSTNAME=bench\nSYSLOG_IDENTIFIER=api\n\n",
          now_us, n + 1, message_of(n));
    }
    std::fwrite(text.data(), 1, text.size(), pipe_);
    std::fflush(pipe_);
  }
  void close() override {
    if (pipe_ != nullptr) ::pclose(pipe_);
    pipe_ = nullptr;
  }

 private:
  FILE* pipe_ = nullptr;
};

class FileWriter final : public Writer {
 public:
  explicit FileWriter(const std::filesystem::path& file) : out_(file, std::ios::app) {}
  void write(uint64_t first, uint64_t count) override {
    std::string text;
    for (uint64_t n = first; n < first + count; ++n) text += message_of(n) + "\n";
    out_ << text << std::flush;
  }
  void close() override { out_.close(); }

 private:
  std::ofstream out_;
};

struct Figures {
  double cpu_seconds = 0;
  double seconds = 0;  // from the first record written until Kafka held the last
};

Figures follow(const JournaldOptions& options, bool journal, KafkaSink& sink, int run) {
  const std::string name = fmt::format("{}-{}", journal ? "journal" : "file", run);
  const auto dir = options.work_dir / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "source");
  const std::string topic = "bench.follow." + name;
  sink.create_topic(topic, kPartitions);
  const auto source = dir / "source" / (journal ? "system.journal" : "app.log");
  // The source exists before drover starts, so both begin at its start.
  std::unique_ptr<Writer> writer;
  if (journal) {
    writer = std::make_unique<JournalWriter>(source);
    writer->write(0, 1);
    writer->close();
    writer = std::make_unique<JournalWriter>(source);
  } else {
    writer = std::make_unique<FileWriter>(source);
    writer->write(0, 1);
  }
  DroverConfig config{.include = source.string(),
                      .bootstrap = sink.bootstrap(),
                      .topic = topic,
                      .input_extra = journal ? fmt::format("directory = \"{}\"\nstart_at = "
                                                           "\"beginning\"\n",
                                                           (dir / "source").string())
                                             : ""};
  config.input_type = journal ? "journald" : "file";
  ChildProcess drover(
      {options.drover.string(), "run", "--config", write_drover_config(dir, config).string()},
      dir / "drover.log");
  const auto ready_deadline = Clock::now() + std::chrono::seconds(30);
  while (sink.records(topic, kPartitions) < 1) {
    if (!drover.running() || Clock::now() > ready_deadline) {
      throw std::runtime_error("drover did not ship the first record; see " +
                               (dir / "drover.log").string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double cpu_before = cpu_seconds_of(drover.pid());
  const auto start = Clock::now();
  const uint64_t per_tick = std::max<uint64_t>(1, options.entries_per_second / 100);
  const uint64_t total =
      options.entries_per_second * static_cast<uint64_t>(options.duration.count());
  auto next = start;
  for (uint64_t written = 0; written < total; written += per_tick) {
    std::this_thread::sleep_until(next);
    next += std::chrono::milliseconds(10);
    writer->write(1 + written, std::min(per_tick, total - written));
  }
  writer->close();
  const auto deadline = Clock::now() + std::chrono::minutes(2);
  while (sink.records(topic, kPartitions) < static_cast<int64_t>(total + 1)) {
    if (!drover.running() || Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("drover shipped {} of {} records; see {}",
                                           sink.records(topic, kPartitions), total + 1,
                                           (dir / "drover.log").string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Figures figures;
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.cpu_seconds = cpu_seconds_of(drover.pid()) - cpu_before;
  drover.signal(SIGTERM);
  drover.wait(std::chrono::seconds(30));
  std::filesystem::remove_all(dir);
  return figures;
}

}  // namespace

void journald_follow(const JournaldOptions& options, Report& report) {
  if (!std::filesystem::exists(kJournalRemote)) {
    throw std::runtime_error(
        "the journald scenario needs systemd-journal-remote "
        "(scripts/setup.sh --tests installs it)");
  }
  auto sink = KafkaSink::mock();
  const uint64_t total =
      options.entries_per_second * static_cast<uint64_t>(options.duration.count());
  Table table;
  table.title = fmt::format(
      "following a busy source: {} records/s for {} s ({} records), JSON records, medians of {} "
      "runs",
      options.entries_per_second, options.duration.count(), total, options.runs);
  table.columns = {"source", "drover CPU s", "CPU µs per record", "CPU % of one core",
                   "until all in Kafka s"};
  for (const bool journal : {true, false}) {
    std::vector<double> cpu, seconds;
    for (int run = 0; run < options.runs; ++run) {
      std::cout << fmt::format("bench: following a {} ({} of {})\n", journal ? "journal" : "file",
                               run + 1, options.runs)
                << std::flush;
      const Figures f = follow(options, journal, *sink, run);
      cpu.push_back(f.cpu_seconds);
      seconds.push_back(f.seconds);
    }
    const double c = median(cpu);
    const double s = median(seconds);
    table.rows.push_back(
        {journal ? "journald input (sd-journal)" : "file input (the same text as lines)",
         fixed(c, 2), fixed(c * 1e6 / static_cast<double>(total), 2), fixed(100 * c / s, 1),
         fixed(s, 1)});
  }
  table.notes.push_back(
      "Journal entries (MESSAGE of ~100 bytes, PRIORITY, _SYSTEMD_UNIT, _PID, _HOSTNAME, "
      "SYSLOG_IDENTIFIER) appended by systemd-journal-remote from export format, 100 times a "
      "second; the file gets the same messages as lines. drover's CPU from the first record "
      "written until the mock cluster holds the last (journal-remote's own CPU not counted). "
      "drover's defaults: JSON records, lz4, linger 50 ms.");
  report.add(std::move(table));
}

}  // namespace drover::bench
