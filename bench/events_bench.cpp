#include "bench/events_bench.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/kafka_sink.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 4;
constexpr int kEventsPerRequest = 100;
const char* const kServices[] = {"checkout", "search", "auth", "cart", "payments"};
const char* const kActions[] = {"page_view", "add_to_cart", "login", "search", "purchase"};

/// ~200 bytes of an application's activity event, unique by `n`.
void append_event(std::string& out, uint64_t n) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"time":"2026-12-02T10:{:02}:{:02}.{:03}Z","service":"{}","action":"{}",)"
                 R"("user":"u{:06}","session":"{:016x}","n":{},"duration_ms":{},"status":{}}})"
                 "\n",
                 n / 60000 % 60, n / 1000 % 60, n % 1000, kServices[n % 5], kActions[n / 5 % 5],
                 n * 7919 % 1000000, n * 0x9E3779B97F4A7C15ULL, n, n % 997,
                 n % 13 == 0 ? 500 : 200);
}

struct Drover {
  std::unique_ptr<ChildProcess> process;
  std::string http;
  std::filesystem::path socket;
};

Drover start_drover(const EventsOptions& options, const std::filesystem::path& dir,
                    const KafkaSink& sink, const std::string& topic) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Drover drover;
  drover.http = fmt::format("127.0.0.1:{}", testing::free_port());
  drover.socket = dir / "events.sock";
  const auto config = dir / "drover.toml";
  std::ofstream(config) << fmt::format(R"([agent]
data_dir = "{}"
admin_address = ""

[inputs.bench]
type = "events"
listen = "{}"
socket = "{}"

[outputs.kafka]
type = "kafka"
inputs = ["bench"]
brokers = ["{}"]
topic = "{}"
{})",
                                       (dir / "data").string(), drover.http, drover.socket.string(),
                                       sink.bootstrap(), topic, kProducerSettings);
  drover.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{options.drover.string(), "run", "--config", config.string()},
      dir / "drover.log");
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!testing::HttpConnection(drover.http).connected()) {
    if (!drover.process->running() || Clock::now() > deadline) {
      throw std::runtime_error("drover's events input did not start; see " +
                               (dir / "drover.log").string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return drover;
}

void wait_for_records(KafkaSink& sink, const std::string& topic, int64_t expected,
                      ChildProcess& drover) {
  const auto deadline = Clock::now() + std::chrono::minutes(5);
  while (sink.records(topic, kPartitions) < expected) {
    if (!drover.running() || Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("{} events did not all reach Kafka", expected));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct Throughput {
  double events_per_second = 0;
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
};

// Each connection sends its share of the events: HTTP requests one after the other (each waits
// for its reply), or one NDJSON stream.
Throughput send_all(const EventsOptions& options, bool http, KafkaSink& sink,
                    const std::filesystem::path& dir) {
  const std::string topic = fmt::format("bench.events.{}", http ? "http" : "unix");
  sink.create_topic(topic, kPartitions);
  Drover drover = start_drover(options, dir, sink, topic);
  const uint64_t per_connection = options.events / static_cast<uint64_t>(options.connections);
  // Built before the clock starts: the bench measures drover, not the client's formatting.
  std::vector<std::vector<std::string>> bodies(static_cast<size_t>(options.connections));
  for (int c = 0; c < options.connections; ++c) {
    const uint64_t first = static_cast<uint64_t>(c) * per_connection;
    for (uint64_t n = 0; n < per_connection; n += kEventsPerRequest) {
      std::string body;
      for (uint64_t i = n; i < std::min<uint64_t>(n + kEventsPerRequest, per_connection); ++i) {
        append_event(body, first + i);
      }
      bodies[static_cast<size_t>(c)].push_back(std::move(body));
    }
  }
  const double cpu_before = cpu_seconds_of(drover.process->pid());
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int c = 0; c < options.connections; ++c) {
    clients.emplace_back([&, c] {
      const auto& requests = bodies[static_cast<size_t>(c)];
      if (http) {
        testing::HttpConnection connection(drover.http);
        for (const auto& body : requests) {
          if (connection.post("/v1/events", body).status != 200) ++failures;
        }
        return;
      }
      const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::memcpy(address.sun_path, drover.socket.c_str(), drover.socket.string().size() + 1);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ++failures;
        return;
      }
      for (const auto& body : requests) {
        for (size_t sent = 0; sent < body.size();) {
          const ssize_t n = ::send(fd, body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
          if (n <= 0) {
            ++failures;
            ::close(fd);
            return;
          }
          sent += static_cast<size_t>(n);
        }
      }
      ::close(fd);
    });
  }
  for (auto& client : clients) client.join();
  if (failures > 0) throw std::runtime_error(fmt::format("{} requests failed", failures.load()));
  const int64_t expected = static_cast<int64_t>(per_connection) * options.connections;
  wait_for_records(sink, topic, expected, *drover.process);
  Throughput figures;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.events_per_second = static_cast<double>(expected) / seconds;
  figures.cpu_seconds = cpu_seconds_of(drover.process->pid()) - cpu_before;
  figures.peak_rss_mib = static_cast<double>(drover.process->usage().peak_rss) / (1 << 20);
  drover.process->signal(SIGTERM);
  drover.process->wait(std::chrono::seconds(30));
  return figures;
}

struct Latency {
  std::vector<double> milliseconds;
};

// One connection, one request of 100 events at a time, at each ack level.
std::vector<Latency> latencies(const EventsOptions& options, KafkaSink& sink,
                               const std::filesystem::path& dir) {
  const std::string topic = "bench.events.latency";
  sink.create_topic(topic, kPartitions);
  Drover drover = start_drover(options, dir, sink, topic);
  testing::HttpConnection connection(drover.http);
  std::vector<Latency> by_level(3);
  uint64_t n = 0;
  const char* const levels[] = {"accepted", "durable", "delivered"};
  for (size_t level = 0; level < 3; ++level) {
    const std::string target = fmt::format("/v1/events?ack={}", levels[level]);
    for (int r = 0; r < options.latency_requests; ++r) {
      std::string body;
      for (int i = 0; i < kEventsPerRequest; ++i) append_event(body, n++);
      const auto start = Clock::now();
      const auto response = connection.post(target, body);
      const auto elapsed = Clock::now() - start;
      if (response.status != 200) {
        throw std::runtime_error(
            fmt::format("ack={}: {} {}", levels[level], response.status, response.body));
      }
      by_level[level].milliseconds.push_back(
          std::chrono::duration<double, std::milli>(elapsed).count());
    }
  }
  drover.process->signal(SIGTERM);
  drover.process->wait(std::chrono::seconds(30));
  return by_level;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t at =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[at];
}

}  // namespace

void events_to_kafka(const EventsOptions& options, Report& report) {
  auto sink = KafkaSink::mock();
  std::vector<Throughput> http_runs;
  std::vector<Throughput> unix_runs;
  std::vector<std::vector<double>> latency(3);
  for (int run = 0; run < options.runs; ++run) {
    std::cout << fmt::format("bench: events run {} of {}\n", run + 1, options.runs) << std::flush;
    http_runs.push_back(send_all(options, true, *sink, options.work_dir / "events-http"));
    unix_runs.push_back(send_all(options, false, *sink, options.work_dir / "events-unix"));
    const auto levels = latencies(options, *sink, options.work_dir / "events-latency");
    for (size_t l = 0; l < 3; ++l) {
      latency[l].insert(latency[l].end(), levels[l].milliseconds.begin(),
                        levels[l].milliseconds.end());
    }
  }
  Table throughput;
  throughput.title = fmt::format(
      "events → Kafka (mock sink): {} events of ~200 B over {} connections, medians of {} runs",
      options.events, options.connections, options.runs);
  throughput.columns = {"transport",    "events/s",         "target",
                        "drover CPU s", "CPU µs per event", "peak RSS MiB"};
  for (const auto& [label, runs, target] :
       {std::tuple{"HTTP, requests of 100 events, ack=accepted", &http_runs, 200'000.0},
        std::tuple{"Unix socket, NDJSON streams", &unix_runs, 500'000.0}}) {
    std::vector<double> rate, cpu, rss;
    for (const auto& r : *runs) {
      rate.push_back(r.events_per_second);
      cpu.push_back(r.cpu_seconds);
      rss.push_back(r.peak_rss_mib);
    }
    throughput.rows.push_back(
        {label, fixed(median(rate), 0), fmt::format("≥ {:.0f}", target), fixed(median(cpu), 2),
         fixed(median(cpu) * 1e6 / static_cast<double>(options.events), 2), fixed(median(rss), 1)});
  }
  throughput.notes.push_back(
      "Wall time from the first byte sent until the topic's high watermarks add up to every "
      "event; the clients (one thread per connection, bodies built beforehand) and the mock "
      "cluster run on the same 2 cores as drover. drover's defaults: JSON codec (each event gains "
      "@timestamp, host, input), lz4, linger 50 ms, acks=all, idempotence on.");
  report.add(std::move(throughput));

  Table table;
  table.title = fmt::format(
      "events: latency of one HTTP request of 100 events, one connection, {} requests per level",
      static_cast<size_t>(options.latency_requests) * static_cast<size_t>(options.runs));
  table.columns = {"ack", "p50 ms", "p99 ms", "target"};
  const char* const levels[] = {"accepted", "durable", "delivered"};
  for (size_t l = 0; l < 3; ++l) {
    table.rows.push_back({levels[l], fixed(percentile(latency[l], 0.5), 3),
                          fixed(percentile(latency[l], 0.99), 3), l == 0 ? "p99 < 1 ms" : ""});
  }
  table.notes.push_back(
      "From sending the request to reading the whole reply. durable and delivered wait for "
      "Kafka's acknowledgement, so librdkafka's linger (50 ms) sets their floor.");
  report.add(std::move(table));
}

}  // namespace drover::bench
