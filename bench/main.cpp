// drover's bench harness: `bench/run` builds drover and this program, then runs it. Each scenario
// prints its table as soon as it has it; all of them are appended to bench/RESULTS.md.
#include "bench/cost_curve.h"
#include "bench/events_bench.h"
#include "bench/file_to_kafka.h"
#include "bench/idle_cost.h"
#include "bench/journald_bench.h"
#include "bench/kafka_sink.h"
#include "bench/outage_memory.h"
#include "bench/report.h"
#include "bench/spill_bench.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* kUsage = R"(usage: drover_bench [options] SCENARIO...
scenarios: file curve events spill outage idle journald all
  --drover PATH         the drover binary to measure (default: build/bench/drover)
  --work DIR            scratch space, removed at the end (default: $TMPDIR)
  --results FILE        append the tables here (default: none, print only)
  --runs N              runs per measurement, medians reported (default 5)
  --lines N[,N...]      file scenario: line counts (default 1000000,5000000)
  --sinks S[,S...]      file scenario: mock, kafka (default both; kafka needs DROVER_KAFKA_LIBS)
  --curve-mib N         curve scenario: MiB of lines per case (default 96)
  --curve-data FILE     curve scenario: write the line-size points there (TSV, for the plot)
  --events N            events scenario: events per transport and run (default 1000000)
  --connections N       events scenario: client connections (default 4)
  --latency-requests N  events scenario: timed requests per transport and run
                        at accepted (default 1000; a fifth of it at durable and delivered)
  --latency-pace-us N   events scenario: µs between the starts of timed requests (default 2000)
  --durable-seconds N   events scenario: seconds per durable group-commit figure (default 3)
  --sync-delay-us N     events scenario: how much slower the emulated slow disk syncs (default 2000)
  --spill-mib N         spill scenario: MiB per run (default 512)
  --outage-seconds N    outage scenario: how long the brokers stay down (default 180)
  --outage-rate N       outage scenario: lines per second meanwhile (default 10000)
  --idle-seconds N      idle scenario: measured period (default 60)
  --journald-rate N     journald scenario: records per second written (default 10000)
  --journald-seconds N  journald scenario: how long they are written (default 20)
  --many-files N        idle scenario: matched files in the many-files case (default 10000)
  --output-setting TOML file, curve, idle: one more line for drover's [outputs.kafka],
                        e.g. 'record_id_header = ""' (repeatable; A/B runs that isolate a cost)
  --input-setting TOML  file and curve scenarios: the same for drover's [inputs.bench]
  --baseline PATH       file scenario: another drover binary measured in the same runs (A/B)
  --profile DIR         file scenario: one more run per tool, not counted, under `perf record`;
                        the data goes to DIR for bench/flame
)";

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    out.push_back(
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace drover::bench;
  std::filesystem::path drover = "build/bench/drover";
  std::filesystem::path work = std::filesystem::temp_directory_path();
  std::filesystem::path results;
  int runs = 5;
  std::vector<uint64_t> lines{1000000, 5000000};
  std::vector<std::string> sinks{"mock", "kafka"};
  uint64_t spill_mib = 512;
  OutageOptions outage;
  IdleOptions idle;
  JournaldOptions journald;
  EventsOptions events;
  CostCurveOptions curve;
  std::string output_settings;
  std::string input_settings;
  std::filesystem::path profile_dir;
  std::filesystem::path baseline;
  std::set<std::string> scenarios;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      }
      const auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--drover")
        drover = value();
      else if (arg == "--work")
        work = value();
      else if (arg == "--results")
        results = value();
      else if (arg == "--runs")
        runs = std::stoi(value());
      else if (arg == "--lines") {
        lines.clear();
        for (const auto& n : split(value())) lines.push_back(std::stoull(n));
      } else if (arg == "--sinks")
        sinks = split(value());
      else if (arg == "--curve-mib")
        curve.bytes_per_case = std::stoull(value()) << 20;
      else if (arg == "--curve-data")
        curve.data_file = std::filesystem::absolute(value());
      else if (arg == "--events")
        events.events = std::stoull(value());
      else if (arg == "--connections")
        events.connections = std::stoi(value());
      else if (arg == "--latency-requests")
        events.latency_requests = std::stoi(value());
      else if (arg == "--latency-pace-us")
        events.latency_pace = std::chrono::microseconds(std::stoll(value()));
      else if (arg == "--sync-delay-us")
        events.sync_delay = std::chrono::microseconds(std::stoll(value()));
      else if (arg == "--durable-seconds")
        events.durable_seconds = std::chrono::seconds(std::stoll(value()));
      else if (arg == "--spill-mib")
        spill_mib = std::stoull(value());
      else if (arg == "--outage-seconds")
        outage.duration = std::chrono::seconds(std::stoll(value()));
      else if (arg == "--outage-rate")
        outage.lines_per_second = std::stoull(value());
      else if (arg == "--journald-rate")
        journald.entries_per_second = std::stoull(value());
      else if (arg == "--journald-seconds")
        journald.duration = std::chrono::seconds(std::stoll(value()));
      else if (arg == "--idle-seconds")
        idle.duration = std::chrono::seconds(std::stoll(value()));
      else if (arg == "--many-files")
        idle.many_files = std::stoi(value());
      else if (arg == "--output-setting")
        output_settings += value() + "\n";
      else if (arg == "--baseline")
        baseline = std::filesystem::absolute(value());
      else if (arg == "--profile")
        profile_dir = std::filesystem::absolute(value());
      else if (arg == "--input-setting")
        input_settings += value() + "\n";
      else if (arg == "all")
        scenarios.insert({"file", "curve", "events", "spill", "outage", "idle", "journald"});
      else if (arg == "file" || arg == "curve" || arg == "events" || arg == "spill" ||
               arg == "outage" || arg == "idle" || arg == "journald")
        scenarios.insert(arg);
      else
        throw std::invalid_argument("unknown argument " + arg);
    }
    if (scenarios.empty()) throw std::invalid_argument("name at least one scenario");
    if (runs < 1) throw std::invalid_argument("--runs must be at least 1");
  } catch (const std::exception& e) {
    std::cerr << "drover_bench: " << e.what() << "\n" << kUsage;
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // the queue's own info lines would cut the tables
  drover = std::filesystem::absolute(drover);
  std::string pattern = (work / "drover-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "drover_bench: cannot create a directory under " << work << "\n";
    return 1;
  }
  const std::filesystem::path scratch = pattern;

  std::string settings = fmt::format("runs={}, scenarios: {}", runs, fmt::join(scenarios, " "));
  if (scenarios.count("file")) {
    settings +=
        fmt::format("; file: lines={}, sinks={}", fmt::join(lines, ","), fmt::join(sinks, ","));
    if (!baseline.empty()) settings += fmt::format("; baseline: {}", baseline.string());
  }
  if (scenarios.count("curve"))
    settings += fmt::format("; curve: {} MiB per case", curve.bytes_per_case >> 20);
  for (const auto* extra : {&input_settings, &output_settings}) {
    if (extra->empty()) continue;
    std::string shown = *extra;
    shown.pop_back();
    std::replace(shown.begin(), shown.end(), '\n', ';');
    settings +=
        fmt::format("; drover {}: `{}`", extra == &input_settings ? "input" : "output", shown);
  }
  Report report(settings);
  int status = 0;
  try {
    if (scenarios.count("file")) {
      FileToKafkaOptions options{lines, runs, drover, scratch};
      options.input_settings = input_settings;
      options.output_settings = output_settings;
      options.profile_dir = profile_dir;
      options.baseline = baseline;
      if (!profile_dir.empty()) std::filesystem::create_directories(profile_dir);
      for (const auto& name : sinks) {
        auto sink = name == "mock" ? KafkaSink::mock() : KafkaSink::real();
        file_to_kafka(*sink, options, report);
      }
    }
    if (scenarios.count("curve")) {
      curve.runs = runs;
      curve.drover = drover;
      curve.work_dir = scratch;
      curve.input_settings = input_settings;
      curve.output_settings = output_settings;
      auto sink = KafkaSink::mock();
      cost_curve(*sink, curve, report);
    }
    if (scenarios.count("events")) {
      events.runs = runs;
      events.drover = drover;
      events.work_dir = scratch;
      events_to_kafka(events, report);
    }
    if (scenarios.count("spill")) spill({spill_mib << 20, runs, scratch}, report);
    if (scenarios.count("outage")) {
      outage.drover = drover;
      outage.work_dir = scratch;
      outage_memory(outage, report);
    }
    if (scenarios.count("idle")) {
      idle.drover = drover;
      idle.work_dir = scratch;
      idle.output_settings = output_settings;
      idle_cost(idle, report);
    }
    if (scenarios.count("journald")) {
      journald.runs = runs;
      journald.drover = drover;
      journald.work_dir = scratch;
      journald_follow(journald, report);
    }
  } catch (const std::exception& e) {
    std::cerr << "drover_bench: " << e.what() << "\n";
    status = 1;
  }
  if (!results.empty()) report.append_to(results);
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  return status;
}
