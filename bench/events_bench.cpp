#include "bench/events_bench.h"

#include "bench/child_process.h"
#include "bench/drover_config.h"
#include "bench/events_clients.h"
#include "bench/kafka_sink.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <tuple>
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
  EventsEndpoint endpoint;
  std::filesystem::path data_dir;

  long long metric(const std::string& series) const {
    std::string admin = testing::read_file(data_dir / "admin.address");
    admin.erase(admin.find_last_not_of('\n') + 1);
    return testing::metric_value(testing::http_get(admin, "/metrics").second, series);
  }
  void stop() {
    process->signal(SIGTERM);
    process->wait(std::chrono::seconds(30));
  }
};

struct DroverSetup {
  bool tls = false;                      // HTTPS, with a certificate made for the run
  std::string input_extra;               // more lines for the events input
  std::string output_extra;              // more lines for the Kafka output
  std::vector<std::string> environment;  // for drover's process
};

Drover start_drover(const EventsOptions& options, const std::filesystem::path& dir,
                    const KafkaSink& sink, const std::string& topic,
                    const DroverSetup& setup = {}) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Drover drover;
  drover.endpoint.http = fmt::format("127.0.0.1:{}", testing::free_port());
  drover.endpoint.socket = dir / "events.sock";
  drover.data_dir = dir / "data";
  std::string tls;
  if (setup.tls) {
    if (!testing::make_certificate(dir, "ca") || !testing::make_certificate(dir, "server", "ca")) {
      throw std::runtime_error("openssl could not make certificates; see " +
                               (dir / "openssl.log").string());
    }
    drover.endpoint.ca_file = dir / "ca.pem";
    tls = fmt::format(R"(tls = {{ cert_file = "{0}/server.pem", key_file = "{0}/server.key" }})",
                      dir.string());
  }
  const auto config = dir / "drover.toml";
  std::ofstream(config) << fmt::format(
      R"([agent]
data_dir = "{}"
admin_address = "127.0.0.1:0"
shutdown_timeout = "2s"

[inputs.bench]
type = "events"
listen = "{}"
socket = "{}"
{}
{}

[outputs.kafka]
type = "kafka"
inputs = ["bench"]
brokers = ["{}"]
topic = "{}"
{}
{})",
      drover.data_dir.string(), drover.endpoint.http, drover.endpoint.socket.string(), tls,
      setup.input_extra, sink.bootstrap(), topic, producer_settings(), setup.output_extra);
  drover.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{options.drover.string(), "run", "--config", config.string()},
      dir / "drover.log", setup.environment);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!testing::HttpConnection(drover.endpoint.http).connected() ||
         !std::filesystem::exists(drover.data_dir / "admin.address")) {
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

std::string requests_of(uint64_t first, uint64_t count) {
  std::string body;
  for (uint64_t n = first; n < first + count; ++n) append_event(body, n);
  return body;
}

struct Throughput {
  double events_per_second = 0;
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
};

// Each connection sends its share of the events at ack=accepted: requests (or batches) one
// after the other, each waiting for its reply, or one NDJSON stream.
Throughput send_all(const EventsOptions& options, Transport transport, KafkaSink& sink,
                    const std::filesystem::path& dir) {
  const std::string topic = fmt::format("bench.events.{}", static_cast<int>(transport));
  sink.create_topic(topic, kPartitions);
  Drover drover = start_drover(options, dir, sink, topic, {.tls = transport == Transport::kHttps});
  const uint64_t per_connection = options.events / static_cast<uint64_t>(options.connections);
  // Built before the clock starts: the bench measures drover, not the client's formatting.
  std::vector<std::vector<std::string>> bodies(static_cast<size_t>(options.connections));
  for (int c = 0; c < options.connections; ++c) {
    const uint64_t first = static_cast<uint64_t>(c) * per_connection;
    for (uint64_t n = 0; n < per_connection; n += kEventsPerRequest) {
      bodies[static_cast<size_t>(c)].push_back(
          requests_of(first + n, std::min<uint64_t>(kEventsPerRequest, per_connection - n)));
    }
  }
  std::vector<std::unique_ptr<EventsClient>> clients;
  for (int c = 0; c < options.connections; ++c)
    clients.push_back(connect(transport, drover.endpoint));
  const double cpu_before = cpu_seconds_of(drover.process->pid());
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < options.connections; ++c) {
    threads.emplace_back([&, c] {
      for (const auto& body : bodies[static_cast<size_t>(c)]) {
        if (!clients[static_cast<size_t>(c)]->send(body, "accepted")) ++failures;
      }
      clients[static_cast<size_t>(c)].reset();  // a stream ends with its connection
    });
  }
  for (auto& thread : threads) thread.join();
  if (failures > 0) throw std::runtime_error(fmt::format("{} requests failed", failures.load()));
  const int64_t expected = static_cast<int64_t>(per_connection) * options.connections;
  wait_for_records(sink, topic, expected, *drover.process);
  Throughput figures;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.events_per_second = static_cast<double>(expected) / seconds;
  figures.cpu_seconds = cpu_seconds_of(drover.process->pid()) - cpu_before;
  figures.peak_rss_mib = static_cast<double>(drover.process->usage().peak_rss) / (1 << 20);
  drover.stop();
  return figures;
}

constexpr const char* kLevels[] = {"accepted", "durable", "delivered"};
constexpr size_t kAccepted = 0;

// With Kafka up, durable and delivered replies wait for librdkafka's linger (50 ms): fewer of
// them keep the run short.
int requests_at(const EventsOptions& options, size_t level) {
  return level == kAccepted ? options.latency_requests : std::max(1, options.latency_requests / 5);
}

// One connection, one request of 100 events at a time, at each ack level: milliseconds from
// sending the request to reading its whole reply. Requests start on a fixed pace, as an
// application that sends what it has every few milliseconds would: back to back, one
// connection would be a throughput test, whose latency is whatever the encoder, the compressor
// and the mock cluster leave of the same 2 cores.
std::vector<std::vector<double>> latencies(const EventsOptions& options, Transport transport,
                                           KafkaSink& sink, const std::filesystem::path& dir) {
  const std::string topic = fmt::format("bench.events.latency.{}", static_cast<int>(transport));
  sink.create_topic(topic, kPartitions);
  Drover drover = start_drover(options, dir, sink, topic, {.tls = transport == Transport::kHttps});
  const auto client = connect(transport, drover.endpoint);
  std::vector<std::vector<double>> by_level(3);
  uint64_t n = 0;
  for (size_t level = 0; level < 3; ++level) {
    auto next = Clock::now();
    for (int r = 0; r < requests_at(options, level); ++r) {
      std::this_thread::sleep_until(next);
      next += options.latency_pace;
      const std::string body = requests_of(n, kEventsPerRequest);
      n += kEventsPerRequest;
      const auto start = Clock::now();
      if (!client->send(body, kLevels[level])) {
        throw std::runtime_error(
            fmt::format("{} ack={}: refused", name_of(transport), kLevels[level]));
      }
      by_level[level].push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      next = std::max(next, Clock::now());
    }
  }
  drover.stop();
  return by_level;
}

struct DurableRate {
  double events_per_second = 0;
  double syncs_per_second = 0;
};

// ack=durable from `clients` connections at once while Kafka is away: every batch goes to the
// disk queue, and a reply waits for the fdatasync that covers it. With group commit, concurrent
// requests share syncs.
// `sync_delay_us` > 0: every sync of drover's takes that much longer (bench/slow_sync.cpp).
DurableRate durable_rate(const EventsOptions& options, int clients, uint64_t events_per_request,
                         int64_t sync_delay_us, KafkaSink& sink, const std::filesystem::path& dir) {
  const std::string topic = "bench.events.durable";
  sink.create_topic(topic, kPartitions);
  sink.set_down(true);
  std::vector<std::string> environment;
  if (sync_delay_us > 0) {
    environment = {std::string("LD_PRELOAD=") + DROVER_BENCH_SLOW_SYNC,
                   fmt::format("DROVER_BENCH_SYNC_DELAY_US={}", sync_delay_us)};
  }
  Drover drover =
      start_drover(options, dir, sink, topic,
                   {.input_extra = "ack_timeout = \"60s\"",
                    .output_extra = "queue = { memory_bytes = \"64KiB\", disk_bytes = \"4GiB\", "
                                    "spill_after = \"0s\" }",
                    .environment = environment});
  // Until batches go to disk: what the output took before Kafka was found away stays there.
  {
    auto warmup = connect(Transport::kHttp, drover.endpoint);
    for (uint64_t n = 0;
         drover.metric(R"(drover_queue_spilled_batches_total{output="kafka"})") <= 0;
         n += kEventsPerRequest) {
      warmup->send(requests_of(n, kEventsPerRequest), "accepted");
    }
  }
  const std::string body = requests_of(1'000'000, events_per_request);
  std::vector<std::unique_ptr<EventsClient>> connections;
  for (int c = 0; c < clients; ++c)
    connections.push_back(connect(Transport::kHttp, drover.endpoint));
  const long long syncs_before = drover.metric(R"(drover_queue_syncs_total{output="kafka"})");
  std::atomic<uint64_t> taken{0};
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  const auto end = start + options.durable_seconds;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      while (Clock::now() < end) {
        if (!connections[static_cast<size_t>(c)]->send(body, "durable")) {
          failed = true;
          return;
        }
        taken += events_per_request;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long long syncs =
      drover.metric(R"(drover_queue_syncs_total{output="kafka"})") - syncs_before;
  connections.clear();
  drover.stop();
  sink.set_down(false);
  if (failed) throw std::runtime_error("a durable request was refused; see " + dir.string());
  return {static_cast<double>(taken.load()) / seconds, static_cast<double>(syncs) / seconds};
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
  constexpr Transport kTransports[] = {Transport::kHttp, Transport::kHttpChunked, Transport::kHttps,
                                       Transport::kUnixStream, Transport::kUnixBatches};
  constexpr int kDurableClients[] = {1, 16, 64};
  std::map<Transport, std::vector<Throughput>> runs;
  std::map<Transport, std::vector<std::vector<double>>> latency;
  constexpr uint64_t kDurableRequestSizes[] = {1, kEventsPerRequest};
  // This machine's disk, then one whose syncs take options.sync_delay longer.
  const int64_t sync_delays_us[] = {0, options.sync_delay.count()};
  std::map<std::tuple<int64_t, uint64_t, int>, std::vector<DurableRate>> durable;
  for (int run = 0; run < options.runs; ++run) {
    std::cout << fmt::format("bench: events run {} of {}\n", run + 1, options.runs) << std::flush;
    for (Transport transport : kTransports) {
      runs[transport].push_back(send_all(options, transport, *sink, options.work_dir / "events"));
      if (transport == Transport::kUnixStream) continue;  // no replies to time
      auto levels = latencies(options, transport, *sink, options.work_dir / "events-latency");
      auto& kept = latency[transport];
      kept.resize(3);
      for (size_t l = 0; l < 3; ++l)
        kept[l].insert(kept[l].end(), levels[l].begin(), levels[l].end());
    }
    for (int64_t delay : sync_delays_us) {
      for (uint64_t size : kDurableRequestSizes) {
        for (int clients : kDurableClients) {
          durable[{delay, size, clients}].push_back(durable_rate(
              options, clients, size, delay, *sink, options.work_dir / "events-durable"));
        }
      }
    }
  }

  Table throughput;
  throughput.title = fmt::format(
      "events → Kafka (mock sink): {} events of ~200 B over {} connections, ack=accepted, "
      "medians of {} runs",
      options.events, options.connections, options.runs);
  throughput.columns = {"transport",    "events/s",         "target",
                        "drover CPU s", "CPU µs per event", "peak RSS MiB"};
  for (Transport transport : kTransports) {
    std::vector<double> rate, cpu, rss;
    for (const auto& r : runs[transport]) {
      rate.push_back(r.events_per_second);
      cpu.push_back(r.cpu_seconds);
      rss.push_back(r.peak_rss_mib);
    }
    const std::string target = transport == Transport::kHttp         ? "≥ 1000000"
                               : transport == Transport::kHttps      ? "≥ 500000"
                               : transport == Transport::kUnixStream ? "≥ 500000"
                                                                     : "";
    throughput.rows.push_back(
        {std::string(name_of(transport)), fixed(median(rate), 0), target, fixed(median(cpu), 2),
         fixed(median(cpu) * 1e6 / static_cast<double>(options.events), 2), fixed(median(rss), 1)});
  }
  throughput.notes.push_back(
      "Wall time from the first byte sent until the topic's high watermarks add up to every "
      "event. Requests of 100 events (a chunked body in four chunks; a Unix socket batch with its "
      "header and reply line; a stream without replies). The clients (one thread per "
      "connection, bodies built beforehand) and the mock cluster run on the same 2 cores as "
      "drover. drover's defaults: JSON codec (each event gains @timestamp, host, input), lz4, "
      "linger 50 ms, acks=all, idempotence on.");
  report.add(std::move(throughput));

  Table table;
  table.title = fmt::format(
      "events: latency of one request of 100 events, one connection, a request every {} µs, "
      "{} requests at accepted, {} at durable and delivered",
      std::chrono::duration_cast<std::chrono::microseconds>(options.latency_pace).count(),
      static_cast<size_t>(options.latency_requests) * static_cast<size_t>(options.runs),
      static_cast<size_t>(requests_at(options, kAccepted + 1)) * static_cast<size_t>(options.runs));
  table.columns = {"transport", "ack", "p50 ms", "p99 ms", "target"};
  for (const auto& [transport, levels] : latency) {
    for (size_t l = 0; l < 3; ++l) {
      table.rows.push_back({std::string(name_of(transport)), kLevels[l],
                            fixed(percentile(levels[l], 0.5), 3),
                            fixed(percentile(levels[l], 0.99), 3), l == 0 ? "p99 < 1 ms" : ""});
    }
  }
  table.notes.push_back(
      "From sending the request to reading the whole reply. durable and delivered wait for "
      "Kafka's acknowledgement, so librdkafka's linger (50 ms) sets their floor.");
  report.add(std::move(table));

  Table group;
  group.title = fmt::format(
      "events: ack=durable with Kafka away (every batch to the disk queue), {} s per figure, "
      "medians of {} runs",
      options.durable_seconds.count(), options.runs);
  group.columns = {"disk",         "events per request", "clients",      "events/s",
                   "fdatasyncs/s", "requests per sync",  "× one client", "target"};
  for (int64_t delay : sync_delays_us) {
    const std::string disk =
        delay == 0 ? "this machine's"
                   : fmt::format("syncs {} ms slower", static_cast<double>(delay) / 1000);
    for (uint64_t size : kDurableRequestSizes) {
      double one_client = 0;
      for (int clients : kDurableClients) {
        std::vector<double> rate, syncs;
        for (const auto& r : durable[{delay, size, clients}]) {
          rate.push_back(r.events_per_second);
          syncs.push_back(r.syncs_per_second);
        }
        if (clients == 1) one_client = median(rate);
        const double requests_per_sync =
            median(syncs) > 0 ? median(rate) / static_cast<double>(size) / median(syncs) : 0;
        group.rows.push_back({disk, std::to_string(size), std::to_string(clients),
                              fixed(median(rate), 0), fixed(median(syncs), 0),
                              fixed(requests_per_sync, 1),
                              fixed(one_client > 0 ? median(rate) / one_client : 0, 1),
                              clients == 64 ? "≥ 20×" : ""});
      }
    }
  }
  group.notes.push_back(
      "HTTP keep-alive, each client sending its next request once the last is answered. The "
      "queue's syncer thread syncs whatever was appended since its last fdatasync (group "
      "commit), so concurrent requests share syncs. With one event per request, one client is "
      "bound by the time of a sync and many clients by how many requests a sync covers; with "
      "100 events per request, one client already moves ~100 events per sync and 64 clients "
      "are bound by CPU (encoding and appending), not by the disk. This machine's disk syncs "
      "in well under a millisecond; the slower disk is emulated by preloading "
      "bench/slow_sync.cpp into drover, which adds the delay to every fsync and fdatasync, as a "
      "cloud block device or a spinning disk takes milliseconds to sync.");
  report.add(std::move(group));
}

}  // namespace drover::bench
