// The chaos run (scripts/chaos.sh): drover ships files, events (HTTP at every ack level, Unix
// socket batches at durable and delivered) and host metrics to a 3-broker Kafka cluster while
// everything that can go wrong does — files rotated by rename and by copytruncate, brokers
// killed and restarted, drover SIGKILLed and restarted, SIGHUPs with valid and invalid configs,
// every broker down until the disk queue is past its budget — and then an independent consumer
// reconciles what Kafka holds with what was written and acknowledged.
// Exits 1 on any loss, order violation or unbalanced accounting. Pacing sleeps are the workload's
// rhythm; every correctness check waits on a condition.
#include "tests/kafka/kafka_cluster.h"
#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/unix_client.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace drover::chaos {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::DroverProcess;

constexpr size_t kFiles = 4;
constexpr size_t kLinesPerSecond = 600;  // all files together
constexpr const char* kAckLevels[] = {"accepted", "durable", "delivered"};

struct Tally {
  std::mutex mutex;
  std::map<std::string, int> actions;  // what was done, how often
  void add(const std::string& action) {
    std::lock_guard lock(mutex);
    ++actions[action];
  }
};

class ChaosRun {
 public:
  ChaosRun(int minutes, unsigned seed)
      : minutes_(minutes), random_(seed), kafka_(cluster_options(minutes)) {
    kafka_.create_topic("chaos-files", 3, 3);
    kafka_.create_topic("chaos-events", 3, 3);
    kafka_.create_topic("chaos-metrics", 1, 3);
    std::filesystem::create_directories(dir_ / "logs");
    write_config(/*linger_ms=*/5);
  }

  int run() {
    start_drover();
    std::thread files([this] { write_files(); });
    std::vector<std::thread> posters;
    for (int level = 0; level < 3; ++level) {
      posters.emplace_back([this, level] { post(level, /*over_socket=*/false); });
    }
    for (int level = 1; level < 3; ++level) {  // batches with replies on the Unix socket
      posters.emplace_back([this, level] { post(level, /*over_socket=*/true); });
    }
    // On this thread: a broker it restarts dies with the thread that started it
    // (PR_SET_PDEATHSIG), so that thread must live until the end.
    make_trouble();
    stop_ = true;
    files.join();
    for (auto& poster : posters) poster.join();
    return reconcile();
  }

 private:
  static testing::KafkaClusterOptions cluster_options(int minutes) {
    testing::KafkaClusterOptions options;
    options.nodes = 3;
    options.default_replication = 3;
    options.min_insync_replicas = 2;
    options.lifetime = std::chrono::seconds(minutes * 60 + 900);
    return options;
  }

  void write_config(int linger_ms) {
    testing::write_file(dir_ / "drover.toml",
                        fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "5s"
admin_address = "127.0.0.1:0"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log", "{0}/logs/*.log.*"]
parser = "json"
key_field = "src"
codec = "raw"
rotate_wait = "2s"
rescan_interval = "1s"

[inputs.ev]
type = "events"
listen = "{1}"
socket = "{0}/events.sock"
key_field = "src"
codec = "raw"
busy_timeout = "2s"
ack_timeout = "60s"

[inputs.host]
type = "host_metrics"
interval = "1s"

[outputs.files]
type = "kafka"
inputs = ["app"]
brokers = ["{2}"]
topic = "chaos-files"
linger = "{3}ms"
[outputs.files.queue]
memory_bytes = "1MiB"
disk_bytes = "2MiB"

[outputs.events]
type = "kafka"
inputs = ["ev"]
brokers = ["{2}"]
topic = "chaos-events"
linger = "{3}ms"
[outputs.events.queue]
disk_bytes = "64MiB"

[outputs.metrics]
type = "kafka"
inputs = ["host"]
brokers = ["{2}"]
topic = "chaos-metrics"
)",
                                    dir_.path().string(), events_, kafka_.bootstrap(), linger_ms));
  }

  void start_drover() {
    std::lock_guard lock(drover_mutex_);
    drover_starts_ms_.push_back(unix_ms());  // what this run reads is stamped later than this
    drover_ = std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", (dir_ / "drover.toml").string()},
        dir_ / "stdout.txt", dir_ / fmt::format("drover-{}.log", ++drover_runs_));
    testing::wait_until([&] { return testing::HttpConnection(events_).connected(); }, 60s);
  }

  std::string admin() const {
    std::string address = testing::read_file(dir_ / "data" / "admin.address");
    address.erase(address.find_last_not_of('\n') + 1);
    return address;
  }

  // Four files of JSON lines, each its own source with a sequence; rotated in turn, by rename
  // and by copytruncate (the writer holds still meanwhile: what a writer appends between
  // logrotate's copy and its truncation is lost whoever reads the file). Rotated files are
  // kept, as logrotate's `rotate N` would for a while: deleting one drover has not read yet
  // would be a loss the run could not blame on drover.
  void write_files() {
    std::array<int64_t, kFiles> next{};
    std::array<int64_t, kFiles> generation{};  // which physical file a line was written to
    const auto path = [&](size_t k) { return dir_ / "logs" / fmt::format("app-{}.log", k); };
    auto last_rotation = Clock::now();
    size_t rotations = 0;
    while (!stop_) {
      const auto tick = Clock::now();
      for (size_t i = 0; i < kLinesPerSecond / 10; ++i) {
        const size_t k = i % kFiles;
        testing::append_file(path(k),
                             fmt::format(R"({{"src":"file-{}","gen":{},"seq":{},"pad":"{:0>120}"}})"
                                         "\n",
                                         k, generation[k], next[k], next[k]));
        ++next[k];
      }
      if (Clock::now() - last_rotation > 7s) {
        const size_t k = rotations % kFiles;
        const std::filesystem::path rotated = fmt::format("{}.{}", path(k).string(), rotations);
        std::error_code ec;
        if ((rotations / kFiles) % 2 == k % 2) {
          std::filesystem::rename(path(k), rotated, ec);
          tally_.add("file rotated by rename");
        } else {
          std::filesystem::copy_file(path(k), rotated, ec);
          std::filesystem::resize_file(path(k), 0, ec);
          tally_.add("file rotated by copytruncate");
        }
        ++generation[k];
        ++rotations;
        last_rotation = Clock::now();
      }
      std::this_thread::sleep_until(tick + 100ms);
    }
    std::lock_guard lock(ledger_mutex_);
    for (size_t k = 0; k < kFiles; ++k) lines_written_[fmt::format("file-{}", k)] = next[k];
  }

  // One client per ack level and transport, 20 events a request (or socket batch), keep-alive;
  // a failed request is sent again (a duplicate is allowed, a loss of an acknowledged event is
  // not).
  void post(int level, bool over_socket) {
    const std::string src = fmt::format("{}-{}", over_socket ? "sock" : "ev", kAckLevels[level]);
    int64_t seq = 0;
    int64_t connections = 0;  // "gen": events keep their order within one connection (I5)
    std::unique_ptr<testing::HttpConnection> http;
    std::unique_ptr<testing::UnixConnection> socket;
    while (!stop_) {
      const bool connected =
          over_socket ? socket && socket->connected() : http && http->connected();
      if (!connected) {
        ++connections;
        if (over_socket) {
          socket = std::make_unique<testing::UnixConnection>((dir_ / "events.sock").string(), 90s);
        } else {
          http = std::make_unique<testing::HttpConnection>(events_);
          http->set_timeout(90s);
        }
      }
      std::string body;
      for (int i = 0; i < 20; ++i) {
        body += fmt::format(R"({{"src":"{}","gen":{},"seq":{}}})"
                            "\n",
                            src, connections, seq + i);
      }
      int status = 0;
      if (!over_socket) {
        status = http->post(fmt::format("/v1/events?ack={}", kAckLevels[level]), body).status;
        if (status == 0) http.reset();
      } else if (socket->connected() &&
                 socket->send(fmt::format("{{\"ack\":\"{}\"}}\n{}\n", kAckLevels[level], body))) {
        const std::string reply = socket->read_line();
        const size_t at = reply.find("\"status\":");
        status = at == std::string::npos ? 0 : std::atoi(reply.c_str() + at + 9);
      }
      if (over_socket && status == 0) socket.reset();
      {
        std::lock_guard lock(ledger_mutex_);
        ++replies_[src][status];
        if (status == 200) {
          for (int i = 0; i < 20; ++i) acknowledged_[src].insert(seq + i);
        }
      }
      if (status == 200) {
        seq += 20;
        std::this_thread::sleep_for(50ms);
      } else {
        std::this_thread::sleep_for(200ms);  // drover restarting or its queues full
      }
    }
    std::lock_guard lock(ledger_mutex_);
    events_sent_[src] = seq;
  }

  void make_trouble() {
    const auto end = Clock::now() + std::chrono::minutes(minutes_);
    // A shuffled deck of every kind of trouble, dealt in turn: each comes up once in every
    // five, in an order the seed decides.
    std::vector<int> deck;
    while (Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::seconds(6 + random_() % 8));
      if (deck.empty()) {
        deck = {0, 1, 2, 3, 4};
        std::shuffle(deck.begin(), deck.end(), random_);
      }
      const int trouble = deck.back();
      deck.pop_back();
      switch (trouble) {
        case 0: {  // a broker dies and comes back
          const int node = 1 + static_cast<int>(random_() % 3);
          kafka_.kill(node);
          tally_.add("broker SIGKILLed and restarted");
          std::this_thread::sleep_for(std::chrono::seconds(5 + random_() % 10));
          kafka_.restart(node);
          break;
        }
        case 1:  // drover dies and comes back
          drover_->signal(SIGKILL);
          drover_->wait_exit();
          tally_.add("drover SIGKILLed and restarted");
          start_drover();
          break;
        case 2:  // a valid change
          write_config(static_cast<int>(1 + random_() % 20));
          drover_->signal(SIGHUP);
          tally_.add("SIGHUP, valid config");
          break;
        case 3: {  // an invalid one, then the valid one back
          const std::string good = testing::read_file(dir_ / "drover.toml");
          testing::write_file(dir_ / "drover.toml", good + "\n[outputs.files\nbroken = \n");
          drover_->signal(SIGHUP);
          std::this_thread::sleep_for(2s);
          testing::write_file(dir_ / "drover.toml", good);
          tally_.add("SIGHUP, invalid config");
          break;
        }
        case 4: {  // no broker at all: the disk queue fills past its budget, then drains
          for (int node = 1; node <= 3; ++node) kafka_.kill(node);
          // Full: within a batch or two of disk_bytes (2 MiB); the file input then waits.
          const bool filled = testing::wait_until(
              [&] {
                return testing::metric_value(testing::http_get(admin(), "/metrics").second,
                                             R"(drover_queue_disk_bytes{output="files"})") >=
                       (2 << 20) - (256 << 10);
              },
              90s);
          for (int node = 1; node <= 3; ++node) kafka_.restart(node);
          tally_.add(filled ? "all brokers down, disk queue full, then drained"
                            : "all brokers down (disk queue did not fill)");
          break;
        }
        default:
          break;
      }
    }
    kafka_.wait_for_brokers(3, 120s);
  }

  int reconcile() {
    std::printf("chaos: settling: every broker up, drover draining\n");
    // Whatever drover still holds it delivers now; the files' lines arrive in full.
    int64_t expected_lines = 0;
    for (const auto& [src, n] : lines_written_) expected_lines += n;
    testing::TopicReader file_reader(kafka_.bootstrap(), "chaos-files", 3);
    testing::wait_until(
        [&] {
          file_reader.poll();
          std::set<std::pair<std::string, int64_t>> distinct;
          for (const auto& r : file_reader.records()) {
            const Line line = parse(r.value);
            distinct.emplace(line.src, line.seq);
          }
          return static_cast<int64_t>(distinct.size()) >= expected_lines;
        },
        std::chrono::seconds(300));
    std::string accounting = "not read";
    bool balanced = testing::wait_until(
        [&] {
          accounting = testing::http_get(admin(), "/status").second;
          return is_balanced(accounting);
        },
        60s);
    drover_->signal(SIGTERM);
    const int exit_code = drover_->wait_exit(120s);

    // Everything the topics hold, up to their high watermarks: a poll returns only a part.
    testing::TopicReader event_reader(kafka_.bootstrap(), "chaos-events", 3);
    read_to_the_end(event_reader, 3);
    testing::TopicReader metric_reader(kafka_.bootstrap(), "chaos-metrics", 1);
    read_to_the_end(metric_reader, 1);
    read_to_the_end(file_reader, 3);

    const Findings lines = check(file_reader.records(), lines_written_, {}, drover_starts_ms_);
    const Findings events = check(event_reader.records(), {}, acknowledged_, drover_starts_ms_);

    std::printf("\nchaos run: %d minute(s), drover started %d time(s)\n\n", minutes_, drover_runs_);
    std::printf("%-52s %10s\n", "what was done", "how often");
    for (const auto& [action, count] : tally_.actions) {
      std::printf("%-52s %10d\n", action.c_str(), count);
    }
    std::printf("\n%-52s %10s\n", "what went through", "records");
    std::printf("%-52s %10lld\n", "file lines written", static_cast<long long>(expected_lines));
    for (const auto& [src, replies] : replies_) {
      for (const auto& [status, count] : replies) {
        std::printf("%-52s %10d\n", fmt::format("{} requests answered {}", src, status).c_str(),
                    count);
      }
    }
    std::printf("%-52s %10zu\n", "host metric samples in Kafka", metric_reader.records().size());
    const auto row = [](const char* what, int64_t n) {
      std::printf("%-52s %10lld\n", what, static_cast<long long>(n));
    };
    std::printf("\n%-52s %10s\n", "what was found", "");
    row("file lines missing", lines.missing);
    for (const auto& gap : lines.first_gaps) std::printf("  missing: %s\n", gap.c_str());
    row("file lines out of order within a file and run", lines.out_of_order);
    for (const auto& example : lines.first_disorder) std::printf("  e.g. %s\n", example.c_str());
    row("file lines re-read after a crash, behind newer ones", lines.reread_after_crash);
    row("file lines ahead of an older file's rest (rotation)", lines.across_rotation);
    row("file lines duplicated (at-least-once)", lines.duplicates);
    row("durable/delivered events missing", events.missing);
    row("events out of order within a connection", events.out_of_order);
    for (const auto& example : events.first_disorder) std::printf("  e.g. %s\n", example.c_str());
    row("events duplicated (at-least-once)", events.duplicates);
    row("accepted-only events missing (allowed on SIGKILL)", events.accepted_missing);
    std::printf("%-52s %10s\n", "record accounting balanced at the end", balanced ? "yes" : "NO");
    std::printf("%-52s %10d\n", "drover's exit code at the final SIGTERM", exit_code);
    const bool ok = lines.missing == 0 && lines.out_of_order == 0 && events.missing == 0 &&
                    events.out_of_order == 0 && balanced && exit_code == 0 &&
                    !metric_reader.records().empty();
    if (!ok) {
      save_file_records(file_reader.records());
      std::printf("\nchaos: FAILED; drover's logs, and records.tsv (what Kafka held), are in %s\n",
                  dir_.path().c_str());
      dir_.keep();
      if (!balanced) std::printf("last /status: %s\n", accounting.c_str());
      std::printf("brokers' logs:\n%s\n", kafka_.log_tails(20).c_str());
    } else {
      std::printf("\nchaos: nothing lost\n");
    }
    return ok ? 0 : 1;
  }

  struct Line {
    std::string src;
    int64_t generation = 0;  // of a file: how often it had been rotated when written
    int64_t seq = -1;
  };
  static Line parse(const std::string& value) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view src;
    Line line;
    if (parser.parse(value).get(root) || root["src"].get(src) || root["seq"].get(line.seq)) {
      return {"(unreadable)", 0, -1};
    }
    if (root["gen"].get(line.generation)) line.generation = 0;
    line.src = std::string(src);
    return line;
  }

  // For a failed run: what the files topic held, one line per record, to find where it went
  // wrong (partition, offset, Kafka timestamp, src, gen, seq).
  void save_file_records(const std::vector<testing::ConsumedRecord>& records) const {
    std::string out;
    for (const auto& record : records) {
      const Line line = parse(record.value);
      out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", record.partition, record.offset,
                         record.timestamp_ms, line.src, line.generation, line.seq);
    }
    testing::write_file(dir_ / "records.tsv", out);
  }

  static void read_to_the_end(testing::TopicReader& reader, int partitions) {
    const auto end = static_cast<size_t>(reader.total_records(partitions));
    testing::wait_until([&] { return reader.poll().size() >= end; }, 120s);
  }

  static bool is_balanced(const std::string& status) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::object outputs;
    if (parser.parse(status).get(root) || root["outputs"].get(outputs)) return false;
    for (auto [name, output] : outputs) {
      bool balanced = false;
      uint64_t in_flight = 1;
      if (output["accounting"]["balanced"].get(balanced) || !balanced) return false;
      if (output["accounting"]["in_flight"].get(in_flight) || in_flight != 0) return false;
    }
    return true;
  }

  static int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Per source: every expected sequence (0..written-1, or those acknowledged) is there, and
  // what one drover run read of one physical file or connection reaches Kafka in the order it
  // was read (I5): the first sighting of each line among the records that run read (told by
  // their timestamp, the time they were read) comes in sequence order; re-sends repeat earlier
  // ones later (duplicates, not disorder). After a SIGKILL, what the killed run had spilled to
  // disk goes out before the next run reads again what the killed one held in memory: those
  // lines are first seen after newer ones, counted apart (I1 allows a crash to re-send; it does
  // not lose them). Across a rotation, an older file's rest may follow the newer file's first
  // lines: counted apart too, as drover promises no order between two files.
  struct Findings {
    int64_t missing = 0;
    int64_t duplicates = 0;
    int64_t out_of_order = 0;
    int64_t reread_after_crash = 0;
    int64_t across_rotation = 0;
    int64_t accepted_missing = 0;
    std::vector<std::string> first_gaps;      // "file-3 seq 120-185": where to look first
    std::vector<std::string> first_disorder;  // "file-1#4 seq 77 after 120 (p2@1034)"
  };
  static Findings check(const std::vector<testing::ConsumedRecord>& records,
                        const std::map<std::string, int64_t>& written,
                        const std::map<std::string, std::set<int64_t>>& acknowledged,
                        const std::vector<int64_t>& drover_starts_ms) {
    Findings found;
    std::map<std::string, std::set<int64_t>> seen;         // by source
    std::map<std::string, std::set<int64_t>> seen_in_run;  // by file or connection, and run
    std::map<std::string, int64_t> highest_in_run;
    std::map<std::string, int64_t> highest_in_file;
    std::map<std::string, int64_t> highest_in_source;
    for (const auto& record : records) {
      const Line line = parse(record.value);
      const auto first_in_order = [&](std::map<std::string, int64_t>& highest,
                                      const std::string& stream) {
        auto [it, fresh] = highest.try_emplace(stream, line.seq);
        const bool in_order = fresh || line.seq > it->second;
        it->second = std::max(it->second, line.seq);
        return in_order;
      };
      const auto run =
          std::upper_bound(drover_starts_ms.begin(), drover_starts_ms.end(), record.timestamp_ms) -
          drover_starts_ms.begin();
      const std::string file = fmt::format("{}#{}", line.src, line.generation);
      const std::string read_by_run = fmt::format("{} run {}", file, run);
      bool disorder = false;
      if (seen_in_run[read_by_run].insert(line.seq).second) {
        const auto highest = highest_in_run.find(read_by_run);
        const int64_t highest_seen = highest == highest_in_run.end() ? -1 : highest->second;
        if (!first_in_order(highest_in_run, read_by_run)) {
          disorder = true;
          ++found.out_of_order;
          if (found.first_disorder.size() < 8) {
            found.first_disorder.push_back(
                fmt::format("{}: seq {} after {} (partition {} offset {})", read_by_run, line.seq,
                            highest_seen, record.partition, record.offset));
          }
        }
      }
      if (!seen[line.src].insert(line.seq).second) {
        ++found.duplicates;
        continue;
      }
      if (!first_in_order(highest_in_file, file)) {
        found.reread_after_crash += disorder ? 0 : 1;
      } else if (!first_in_order(highest_in_source, line.src)) {
        ++found.across_rotation;
      }
    }
    for (const auto& [src, count] : written) {
      for (int64_t seq = 0; seq < count; ++seq) {
        if (seen[src].contains(seq)) continue;
        ++found.missing;
        int64_t last = seq;
        while (last + 1 < count && !seen[src].contains(last + 1)) ++last;
        found.missing += last - seq;
        if (found.first_gaps.size() < 8) {
          found.first_gaps.push_back(fmt::format("{} seq {}-{}", src, seq, last));
        }
        seq = last;
      }
    }
    for (const auto& [src, sequences] : acknowledged) {
      const bool guaranteed = src != "ev-accepted";
      for (int64_t seq : sequences) {
        if (seen[src].contains(seq)) continue;
        (guaranteed ? found.missing : found.accepted_missing) += 1;
      }
    }
    return found;
  }

  const int minutes_;
  std::mt19937 random_;
  testing::KafkaCluster kafka_;
  testing::TempDir dir_;
  const std::string events_ = fmt::format("127.0.0.1:{}", testing::free_port());
  std::mutex drover_mutex_;
  std::unique_ptr<DroverProcess> drover_;
  std::vector<int64_t> drover_starts_ms_;  // wall clock: which run read a record (its timestamp)
  int drover_runs_ = 0;
  std::atomic<bool> stop_{false};
  Tally tally_;
  std::mutex ledger_mutex_;
  std::map<std::string, int64_t> lines_written_;
  std::map<std::string, int64_t> events_sent_;
  std::map<std::string, std::set<int64_t>> acknowledged_;
  std::map<std::string, std::map<int, int>> replies_;
};

}  // namespace
}  // namespace drover::chaos

int main(int argc, char** argv) {
  int minutes = 10;
  unsigned seed = static_cast<unsigned>(std::random_device{}());
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--minutes") minutes = std::max(1, std::atoi(argv[i + 1]));
    if (flag == "--seed") seed = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
  }
  std::printf("chaos: %d minute(s), seed %u (--seed %u repeats the same trouble)\n", minutes, seed,
              seed);
  try {
    drover::chaos::ChaosRun run(minutes, seed);
    return run.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chaos: %s\n", e.what());
    return 2;
  }
}
