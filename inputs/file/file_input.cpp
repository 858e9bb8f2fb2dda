#include "inputs/file/file_input.h"

#include "inputs/file/file_key.h"
#include "inputs/file/path_glob.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr size_t kReadChunk = 256 << 10;
// Directory events come in bursts (a rotation is a rename and a create): one scan per burst.
constexpr auto kEventScanGap = std::chrono::milliseconds(100);
// How long a file that grew waits for others to grow too, when the input was idle: a few
// milliseconds of latency for one wake-up per burst of appends instead of one per append.
constexpr auto kGatherAppends = std::chrono::milliseconds(5);

}  // namespace

FileInput::FileInput(FileInputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      store_(context.data_dir / "checkpoints" / (context.name + ".json")),
      watcher_(config_.use_inotify),
      read_buffer_(kReadChunk) {
  if (config_.multiline) {
    const auto& multiline = *config_.multiline;
    multiline_pattern_ = std::make_shared<const RE2>(
        multiline.start_pattern.empty() ? multiline.continuation_pattern : multiline.start_pattern,
        RE2::Quiet);
  }
  const Labels labels{{"input", context_.name}};
  Metrics& m = *context_.metrics;
  counters_ = FileInputCounters{
      &m.counter("drover_input_records_total", labels),
      &m.counter("drover_input_bytes_total", labels),
      &m.counter("drover_input_truncated_lines_total", labels),
      &m.counter("drover_input_partial_lines_flushed_total", labels),
      &m.counter("drover_input_invalid_utf8_bytes_total", labels),
      &m.counter("drover_input_files_opened_total", labels),
      &m.counter("drover_input_files_rewritten_total", labels),
      &m.counter("drover_input_read_errors_total", labels),
      &m.counter("drover_input_multiline_dropped_lines_total", labels),
      &m.counter("drover_input_json_invalid_total", labels),
      &m.counter("drover_input_json_timestamp_invalid_total", labels),
      &m.counter("drover_input_json_key_missing_total", labels),
  };
  if (config_.parser == Parser::kJson)
    json_parser_ = std::make_unique<JsonLineParser>(config_.json);
  checkpoint_errors_ = &m.counter("drover_input_checkpoint_errors_total", labels);
  files_closed_idle_ = &m.counter("drover_input_files_closed_idle_total", labels);
  files_finished_ = &m.counter("drover_input_rotated_files_finished_total", labels);
  open_files_gauge_ = &m.counter("drover_input_open_files", labels);
  descriptors_exhausted_ = &m.counter("drover_input_descriptors_exhausted_total", labels);
  // Half of what the process may open: the rest is for Kafka connections, the queues, other
  // inputs. Past it, opens fail with EMFILE, which costs a turn and a retry per file.
  max_open_files_ = config_.max_open_files;
  if (const uint64_t limit = open_file_limit(); limit != 0 && max_open_files_ > limit / 2) {
    max_open_files_ = std::max<uint64_t>(1, limit / 2);
    spdlog::warn(
        "input {}: max_open_files = {} is more than half of the descriptors drover may open "
        "(ulimit -n {}): at most {} files are held open at once; raise LimitNOFILE to hold more",
        context_.name, config_.max_open_files, limit, max_open_files_);
  }
  followed_files_gauge_ = &m.counter("drover_input_followed_files", labels);
  rotated_files_gauge_ = &m.counter("drover_input_rotated_files", labels);
  if (context_.progress != nullptr) {
    startup_task_.emplace(
        context_.progress->begin(fmt::format("input {}: opening files", context_.name), "files"));
  }
}

FileInput::~FileInput() = default;

void FileInput::mark_ready(const std::string& key) {
  if (ready_set_.insert(key).second) ready_.push_back(key);
}

bool FileInput::read_ready_files(BatchSink& out, std::stop_token stop, Clock::time_point now) {
  const TailContext context = tail_context();
  const size_t turns = ready_.size();
  for (size_t i = 0; i < turns && !stop.stop_requested(); ++i) {
    const std::string key = std::move(ready_.front());
    ready_.pop_front();
    ready_set_.erase(key);
    auto it = tailers_.find(key);
    if (it == tailers_.end()) continue;
    Tailer& tailer = *it->second;
    switch (ensure_open(tailer)) {
      case Opened::kYes:
        break;
      case Opened::kNoDescriptorFree:
        mark_ready(key);
        continue;
      case Opened::kOutOfDescriptors:
        continue;  // in starved_ until the next housekeeping
      case Opened::kGone:
        if (tailer.waited_for_descriptor) {
          spdlog::warn(
              "input {}: {} disappeared while waiting for a descriptor "
              "(max_open_files = {}); what it had past offset {} is lost",
              context_.name, tailer.path(), max_open_files_, tailer.read_offset());
        } else {
          spdlog::info("input {}: {} is gone; stopped following it", context_.name, tailer.path());
        }
        known_[key] = tailer.checkpoint(unix_ms_now());
        known_changed_ = true;
        forget_path(tailer);
        give_back_descriptor(tailer);  // holds none; never leave a pointer to a freed file
        if (tailer.orphaned) --orphaned_files_;
        tailers_.erase(it);
        continue;
    }
    const Tailer::Turn turn = tailer.read(context, out, stop);
    active_.insert(key);
    if (auto rewrite = tailer.take_rewrite()) {
      on_rewrite(tailer, std::move(*rewrite));
    } else if (!waiting_copies_.empty()) {
      rejudge_copies_of(key);  // read past a waiting copy's end: now it can be compared
    }
    switch (turn) {
      case Tailer::Turn::kStopped:
        return false;
      case Tailer::Turn::kMore:
        mark_ready(key);  // behind every other ready file: no file starves the others
        break;
      case Tailer::Turn::kCaughtUp:
        if (tailer.orphaned && now - tailer.last_growth() >= config_.rotate_wait) {
          // Rotated or deleted, and its writer has moved on: its last line will not be
          // finished.
          if (!tailer.flush_pending(context, out, stop)) return false;
          retire(it);
        }
        break;
    }
  }
  return true;
}

bool FileInput::flush_stale_records(BatchSink& out, std::stop_token stop, Clock::time_point now) {
  const TailContext context = tail_context();
  for (const auto& key : active_) {  // a file not read since it was quiet has nothing pending
    const auto it = tailers_.find(key);
    if (it == tailers_.end()) continue;
    Tailer& tailer = *it->second;
    if (tailer.has_pending() && !tailer.flush_stale(context, out, stop, now)) return false;
  }
  return true;
}

void FileInput::absorb(const DirectoryWatcher::Events& events) {
  scan_soon_ = scan_soon_ || events.entries_changed;
  for (const auto& path : events.changed_files) {
    if (auto key = key_by_path_.find(path); key != key_by_path_.end()) mark_ready(key->second);
  }
}

Status FileInput::run(BatchSink& out, std::stop_token stop) {
  std::stop_callback wake_on_stop(stop, [this] { watcher_.wake(); });
  running_ = true;
  struct NotRunning {
    FileInput* self;
    ~NotRunning() {
      std::lock_guard lock(self->status_mutex_);
      self->running_ = false;
      self->status_cv_.notify_all();
    }
  } not_running_at_return{this};
  load_checkpoints();
  scan(/*at_startup=*/true);
  finish_rotated_while_stopped();
  startup_task_.reset();
  if (startup_resumed_ + startup_new_ != 0) {
    const size_t files = startup_resumed_ + startup_new_;
    spdlog::info("input {}: following {} file{}: {} from their checkpoints, {} from offset 0",
                 context_.name, files, files == 1 ? "" : "s", startup_resumed_, startup_new_);
  }
  if (tailers_.empty()) {
    spdlog::warn("input {}: no file matches {} yet; watching for one", context_.name,
                 fmt::join(config_.include, ", "));
  }
  const auto start = Clock::now();
  auto next_scan = start + config_.rescan_interval;
  auto next_poll = start + config_.poll_interval;
  auto next_housekeeping = start + config_.checkpoint_interval;
  auto last_event_scan = start;
  while (!stop.stop_requested()) {
    publish_status_if_wanted();
    if (!read_ready_files(out, stop, Clock::now())) return Status::ok();

    auto now = Clock::now();
    if (now >= next_scan || (scan_soon_ && now - last_event_scan >= kEventScanGap)) {
      scan(/*at_startup=*/false);
      scan_soon_ = false;
      last_event_scan = now;
      next_scan = now + config_.rescan_interval;
    }
    // Rotated files are polled until they retire: events name them by paths we may not know.
    const bool polling = watcher_.polling() || rotated_files() != 0;
    if (polling && now >= next_poll) {
      for (const auto& [key, tailer] : tailers_) {
        if (tailer->orphaned || (watcher_.polling() && tailer->is_open())) mark_ready(key);
      }
      next_poll = now + config_.poll_interval;
    }
    if (!waiting_copies_.empty()) {
      // A file that waited rotate_wait for a truncation that did not come is read whole.
      std::set<std::string> expired;
      for (const auto& [path, waiting] : waiting_copies_) {
        if (waiting.until <= now) expired.insert(waiting.original_key);
      }
      for (const auto& key : expired) rejudge_copies_of(key);
    }
    if (now >= next_housekeeping) {
      // Once a second at most: each of these looks at every followed file.
      if (!flush_stale_records(out, stop, now)) return Status::ok();
      close_idle_files(now);
      retry_starved();
      settle_retired_files();
      open_files_gauge_->set(open_.size());
      rotated_files_gauge_->set(rotated_files());
      save_if_changed();
      forget_quiet_files();
      next_housekeeping = now + config_.checkpoint_interval;
    }
    if (!ready_.empty()) {
      absorb(watcher_.wait(std::chrono::milliseconds(0)));  // events may name other files
      continue;
    }
    auto wake_at = std::min(next_scan, next_housekeeping);
    for (const auto& [path, waiting] : waiting_copies_) wake_at = std::min(wake_at, waiting.until);
    if (polling) wake_at = std::min(wake_at, next_poll);
    if (scan_soon_) wake_at = std::min(wake_at, last_event_scan + kEventScanGap);
    const auto timeout = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now());
    DirectoryWatcher::Events events =
        watcher_.wait(std::max(timeout, std::chrono::milliseconds(0)));
    const bool woken_by_appends = !events.changed_files.empty();
    absorb(events);
    if (woken_by_appends && !stop.stop_requested()) {
      // Writers append to many files at once (a request logged by several services, every
      // file at a flush): waking for each append costs this thread, the output's and the
      // Kafka client's a wake-up per line. A moment's wait reads them all in one turn.
      std::this_thread::sleep_for(kGatherAppends);
      absorb(watcher_.wait(std::chrono::milliseconds(0)));
    }
  }
  return Status::ok();
}

void FileInput::publish_status_if_wanted() {
  // Once per turn of the loop: an atomic load, no lock, unless /status asked.
  const uint64_t wanted = status_wanted_.load();
  if (wanted == status_seen_) return;
  status_seen_ = wanted;
  const int64_t now = unix_ms_now();
  std::vector<FileStatus> files;
  files.reserve(tailers_.size());
  for (const auto& [key, tailer] : tailers_) {
    files.push_back({tailer->path(), key, tailer->read_offset(), tailer->checkpoint(now).offset,
                     tailer->orphaned});
  }
  std::lock_guard lock(status_mutex_);
  status_files_ = std::move(files);
  status_published_ = wanted;
  status_cv_.notify_all();
}

void FileInput::describe(JsonWriter& out) {
  std::vector<FileStatus> files;
  {
    std::unique_lock lock(status_mutex_);
    const uint64_t want = ++status_wanted_;
    watcher_.wake();
    status_cv_.wait_for(lock, std::chrono::seconds(2),
                        [&] { return status_published_ >= want || !running_; });
    files = status_files_;
  }
  struct Lag {
    const FileStatus* file;
    std::optional<uint64_t> size;  // unknown for a rotated file no longer at its path
    uint64_t lag;
  };
  std::vector<Lag> lags;
  uint64_t total = 0;
  for (const auto& file : files) {
    struct stat st {};
    std::optional<uint64_t> size;
    if (::stat(file.path.c_str(), &st) == 0 && key_of(st) == file.key) {
      size = static_cast<uint64_t>(st.st_size);
    }
    const uint64_t end = size.value_or(file.read);
    const uint64_t lag = end > file.committed ? end - file.committed : 0;
    total += lag;
    lags.push_back({&file, size, lag});
  }
  constexpr size_t kListed = 100;
  std::sort(lags.begin(), lags.end(), [](const Lag& a, const Lag& b) { return a.lag > b.lag; });
  out.member("files_followed", static_cast<uint64_t>(files.size()));
  out.member("lag_bytes", total);
  out.key("files").begin_array();
  for (size_t i = 0; i < std::min(lags.size(), kListed); ++i) {
    const Lag& l = lags[i];
    out.begin_object().member("path", l.file->path).member("read_offset", l.file->read);
    out.member("committed_offset", l.file->committed);
    if (l.size) out.member("size", *l.size);
    out.member("lag_bytes", l.lag).member("rotated", l.file->rotated).end_object();
  }
  out.end_array();
}

Status FileInput::save_positions() {
  save_if_changed(/*force=*/true);
  return Status::ok();
}

}  // namespace drover::inputs
