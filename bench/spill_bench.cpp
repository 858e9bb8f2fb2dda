#include "bench/spill_bench.h"

#include "agent/batch_queue.h"
#include "agent/metrics.h"
#include "bench/child_process.h"
#include "bench/line_generator.h"

#include <fmt/format.h>

#include <chrono>
#include <fcntl.h>
#include <iostream>
#include <stdexcept>
#include <stop_token>
#include <unistd.h>

namespace drover::bench {
namespace {

using Clock = std::chrono::steady_clock;

class CountingReceiver : public AckReceiver {
 public:
  void on_batch_safe(uint64_t) override { safe.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<uint64_t> safe{0};
};

// Batches as the file input builds them: 1 MiB of ~200-byte lines each.
std::vector<std::shared_ptr<Batch>> make_batches(uint64_t total_bytes,
                                                 const std::shared_ptr<AckReceiver>& receiver) {
  auto source = std::make_shared<SourceInfo>(SourceInfo{"bench", "host", "/var/log/bench.log"});
  std::vector<std::shared_ptr<Batch>> batches;
  LineGenerator generator;
  std::string line;
  uint64_t sequence = 0;
  uint64_t made = 0;
  while (made < total_bytes) {
    auto batch = std::make_shared<Batch>(source, 0);
    batch->reserve(1 << 20, 6000);
    while (batch->byte_size() < (1 << 20) - 512) {
      generator.line(sequence, line);
      batch->add_record(line, sequence * 200);
      ++sequence;
    }
    batch->set_ack(std::make_shared<AckGroup>(receiver, batches.size()));
    made += batch->byte_size();
    batches.push_back(std::move(batch));
  }
  return batches;
}

// Replay after an outage reads segments written long before: from the disk, not the page cache.
// The files are synced, so their cached pages are clean and the kernel can drop them.
void evict_from_page_cache(const std::filesystem::path& path) {
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double run_seconds(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const auto start = Clock::now();
  ChildProcess process(argv, log);
  const auto exit = process.wait(std::chrono::minutes(10));
  if (!exit || exit->code != 0) throw std::runtime_error(argv[0] + " failed; see " + log.string());
  return seconds_since(start);
}

struct SpillFigures {
  double write_mb_s = 0;
  double replay_mb_s = 0;
  double dd_write_mb_s = 0;
  double dd_read_mb_s = 0;
};

SpillFigures spill_once(const SpillOptions& options, QueueOptions::Fsync fsync, int run) {
  const auto dir = options.work_dir / fmt::format("spill-{}", run);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto receiver = std::make_shared<CountingReceiver>();
  auto batches = make_batches(options.bytes, receiver);
  // This machine's disk (a VM's) speeds up and slows down for seconds at a time: dd goes first
  // in every other run, so neither side always meets the disk right after the other's writes.
  const auto dd_file = dir / "dd.out";
  const auto dd_write = [&](double megabytes) {
    const std::string count = std::to_string(static_cast<uint64_t>(megabytes * 1e6) >> 20);
    return megabytes / run_seconds({"dd", "if=/dev/zero", "of=" + dd_file.string(), "bs=1M",
                                    "count=" + count, "conv=fdatasync", "status=none"},
                                   dir / "dd.log");
  };
  const auto dd_read = [&](double megabytes) {
    evict_from_page_cache(dir);
    const double mb_s = megabytes / run_seconds({"dd", "if=" + dd_file.string(), "of=/dev/null",
                                                 "bs=1M", "status=none"},
                                                dir / "dd.log");
    std::filesystem::remove(dd_file);
    return mb_s;
  };
  const double batch_megabytes = [&] {
    uint64_t bytes = 0;
    for (const auto& batch : batches) bytes += batch->byte_size();
    return static_cast<double>(bytes) / 1e6;
  }();
  SpillFigures figures;
  const bool dd_first = run % 2 == 0;
  if (dd_first) {
    figures.dd_write_mb_s = dd_write(batch_megabytes);
    figures.dd_read_mb_s = dd_read(batch_megabytes);
  }

  Metrics metrics;
  QueueOptions queue_options;
  queue_options.memory_bytes = 1;  // one batch in memory, every other one to disk
  queue_options.disk_bytes = options.bytes * 2;
  queue_options.dir = dir / "queue";
  queue_options.fsync = fsync;
  auto queue = BatchQueue::open(queue_options, metrics, "bench");
  if (!queue) throw std::runtime_error(queue.error().message);
  std::stop_source stop;

  const size_t batch_count = batches.size();
  auto start = Clock::now();
  for (auto& batch : batches) (*queue)->push(std::move(batch), stop.get_token());
  // As at a stop: the batch still in memory goes to disk too, and everything is synced (the
  // 1s policy's last sync included), so every batch is safe when the clock stops.
  if (auto saved = (*queue)->spill_for_stop({}); !saved)
    throw std::runtime_error(saved.error().message);
  const double write_seconds = seconds_since(start);
  (*queue)->close();
  if (receiver->safe != batch_count)
    throw std::runtime_error("the spill bench's batches are not all safe");
  const double spilled_mb = static_cast<double>(metrics.value("drover_queue_spilled_bytes_total",
                                                              {{"output", "bench"}})) /
                            1e6;

  evict_from_page_cache(dir);
  start = Clock::now();
  while (auto batch = (*queue)->try_pop()) (*batch)->complete();
  const double replay_seconds = seconds_since(start);
  if (!(*queue)->closed_and_empty())
    throw std::runtime_error("the spill bench left batches behind");
  queue->reset();

  figures.write_mb_s = spilled_mb / write_seconds;
  figures.replay_mb_s = spilled_mb / replay_seconds;
  if (!dd_first) {
    figures.dd_write_mb_s = dd_write(spilled_mb);
    figures.dd_read_mb_s = dd_read(spilled_mb);
  }
  std::filesystem::remove_all(dir);
  return figures;
}

}  // namespace

void spill(const SpillOptions& options, Report& report) {
  Table table;
  table.title = fmt::format(
      "spill: {} MiB of 1 MiB batches to disk segments and back, medians of "
      "{} runs",
      options.bytes >> 20, options.runs);
  table.columns = {"fsync",       "write MB/s",   "dd write MB/s", "write × dd",
                   "replay MB/s", "dd read MB/s", "replay × dd"};
  for (const auto& [fsync, name] : {std::pair{QueueOptions::Fsync::kEveryBatch, "every_batch"},
                                    std::pair{QueueOptions::Fsync::kInterval, "1s"}}) {
    std::vector<double> write;
    std::vector<double> replay;
    std::vector<double> dd_write;
    std::vector<double> dd_read;
    for (int run = 1; run <= options.runs; ++run) {
      std::cout << fmt::format("bench: spill fsync={} run {}/{}", name, run, options.runs)
                << std::flush;
      const SpillFigures f = spill_once(options, fsync, run);
      std::cout << fmt::format(" → write {:.0f} MB/s (dd {:.0f}), replay {:.0f} MB/s (dd {:.0f})\n",
                               f.write_mb_s, f.dd_write_mb_s, f.replay_mb_s, f.dd_read_mb_s);
      write.push_back(f.write_mb_s);
      replay.push_back(f.replay_mb_s);
      dd_write.push_back(f.dd_write_mb_s);
      dd_read.push_back(f.dd_read_mb_s);
    }
    table.rows.push_back({name, fixed(median(write), 0), fixed(median(dd_write), 0),
                          fixed(median(write) / median(dd_write)), fixed(median(replay), 0),
                          fixed(median(dd_read), 0), fixed(median(replay) / median(dd_read))});
  }
  table.notes.push_back(
      "Write: pushing batches into a queue whose memory holds one batch, until the queue has "
      "synced them (every_batch: fdatasync per 1 MiB batch; 1s: at most once a second and at "
      "close). dd: `dd if=/dev/zero bs=1M conv=fdatasync`, the same byte count, before drover "
      "in every other run and after it in the others. Replay: taking "
      "every batch back and acknowledging it (segments are deleted as they drain) against `dd` "
      "reading dd's file to /dev/null; both from the disk (the files' pages are dropped from "
      "the page cache first, as after a long outage).");
  report.add(std::move(table));
}

}  // namespace drover::bench
