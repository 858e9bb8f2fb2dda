#include "inputs/file/file_input.h"

#include "inputs/file/line_splitter.h"
#include "inputs/file/position_tracker.h"
#include "inputs/file/record_encoder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace drover::inputs {
namespace {

constexpr size_t kReadChunk = 256 << 10;

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string identity_of(const struct stat& st) {
  return fmt::format("{}:{}", st.st_dev, st.st_ino);
}

}  // namespace

struct FileInput::Tailer {
  Tailer(std::string identity_, std::shared_ptr<const SourceInfo> source_, int fd_, uint64_t offset,
         const FileInputConfig& config)
      : identity(std::move(identity_)),
        source(std::move(source_)),
        fd(fd_),
        read_offset(offset),
        splitter(offset, config.max_line_bytes),
        encoder(config.codec, *source),
        positions(std::make_shared<PositionTracker>(offset)) {}
  ~Tailer() {
    if (fd >= 0) ::close(fd);
  }
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  std::string identity;
  std::shared_ptr<const SourceInfo> source;
  int fd;
  uint64_t read_offset;
  LineSplitter splitter;
  RecordEncoder encoder;
  std::shared_ptr<PositionTracker> positions;
  std::shared_ptr<Batch> batch;  // being filled
  uint64_t batch_end_offset = 0;
  bool seen_in_scan = true;
  bool orphaned = false;  // its path now names another file, or nothing
};

FileInput::FileInput(FileInputConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      store_(context.data_dir / "checkpoints" / (context.name + ".json")),
      read_buffer_(kReadChunk) {
  const Labels labels{{"input", context_.name}};
  Metrics& m = *context_.metrics;
  records_ = &m.counter("drover_input_records_total", labels);
  bytes_ = &m.counter("drover_input_bytes_total", labels);
  truncated_lines_ = &m.counter("drover_input_truncated_lines_total", labels);
  invalid_utf8_bytes_ = &m.counter("drover_input_invalid_utf8_bytes_total", labels);
  files_opened_ = &m.counter("drover_input_files_opened_total", labels);
  read_errors_ = &m.counter("drover_input_read_errors_total", labels);
  checkpoint_errors_ = &m.counter("drover_input_checkpoint_errors_total", labels);
}

FileInput::~FileInput() = default;

void FileInput::load_checkpoints() {
  auto loaded = store_.load();
  if (loaded) {
    loaded_ = std::move(*loaded);
    last_saved_ = loaded_;
    return;
  }
  checkpoint_errors_->add();
  spdlog::error(
      "input {}: {}; moved it aside to {}.corrupt and treating every file as new "
      "(start_at applies)",
      context_.name, loaded.error().message, store_.file().string());
  store_.quarantine();
}

void FileInput::open_file(const std::string& path, const std::string& identity, uint64_t size,
                          bool at_startup) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    read_errors_->add();
    // Every rescan tries again; say so once per file, not every few seconds.
    if (unopenable_.insert(path).second) {
      spdlog::warn("input {}: cannot open {}: {} (will keep trying; logged once)", context_.name,
                   path, std::strerror(errno));
    }
    return;
  }
  unopenable_.erase(path);
  uint64_t offset = 0;
  std::string_view reason = "new file";
  if (auto it = loaded_.find(identity); it != loaded_.end()) {
    if (it->second.offset <= size) {
      offset = it->second.offset;
      reason = "checkpoint";
    } else {
      reason = "checkpoint beyond end: file was truncated";
    }
  } else if (at_startup && config_.start_at == StartAt::kEnd) {
    offset = size;
    reason = "start_at = end";
  }
  auto source = std::make_shared<SourceInfo>(SourceInfo{context_.name, context_.host, path});
  tailers_[identity] = std::make_unique<Tailer>(identity, std::move(source), fd, offset, config_);
  files_opened_->add();
  spdlog::info("input {}: tailing {} from offset {} ({})", context_.name, path, offset, reason);
}

void FileInput::rescan(bool at_startup) {
  for (auto& [identity, tailer] : tailers_) tailer->seen_in_scan = false;
  std::set<std::string> seen_paths;
  for (const auto& pattern : config_.include) {
    glob_t matches{};
    const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
    if (rc == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) seen_paths.insert(matches.gl_pathv[i]);
    }
    ::globfree(&matches);
  }
  for (const auto& path : seen_paths) {
    bool excluded = false;
    for (const auto& pattern : config_.exclude) {
      excluded = excluded || ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0;
    }
    struct stat st {};
    if (excluded || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::string identity = identity_of(st);
    if (auto it = tailers_.find(identity); it != tailers_.end()) {
      it->second->seen_in_scan = true;
      it->second->orphaned = false;
      continue;
    }
    open_file(path, identity, static_cast<uint64_t>(st.st_size), at_startup);
  }
  for (auto& [identity, tailer] : tailers_) {
    if (!tailer->seen_in_scan) tailer->orphaned = true;
  }
}

bool FileInput::push(Tailer& tailer, BatchSink& out, std::stop_token stop) {
  if (!tailer.batch) return true;
  std::shared_ptr<Batch> batch = std::move(tailer.batch);
  tailer.batch.reset();
  batch->set_ack(
      std::make_shared<AckGroup>(tailer.positions, tailer.positions->add(tailer.batch_end_offset)));
  records_->add(batch->record_count());
  return out.push(std::move(batch), stop);
}

bool FileInput::read_turn(Tailer& tailer, BatchSink& out, std::stop_token stop, bool& progressed) {
  struct stat st {};
  if (::fstat(tailer.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < tailer.read_offset) {
    spdlog::warn("input {}: {} shrank below offset {} (truncated); reading it again from 0",
                 context_.name, tailer.source->path, tailer.read_offset);
    if (!push(tailer, out, stop)) return false;
    tailer.read_offset = 0;
    tailer.splitter = LineSplitter(0, config_.max_line_bytes);
  }
  std::string timestamp;  // of this read, formatted only when it yields a line
  const auto on_line = [&](const Line& line) {
    if (timestamp.empty()) timestamp = format_timestamp(unix_ms_now());
    if (!tailer.batch) {
      tailer.batch = std::make_shared<Batch>(tailer.source, unix_ms_now());
      // Modest: a batch grows with what is read, and the queue counts its capacity (I4).
      tailer.batch->reserve(std::min<uint64_t>(config_.batch_bytes, 64 << 10), 256);
    }
    const size_t replaced = tailer.encoder.encode(*tailer.batch, line, timestamp);
    if (replaced != 0) invalid_utf8_bytes_->add(replaced);
    if (line.truncated) truncated_lines_->add();
    tailer.batch_end_offset = line.end_offset;
  };
  uint64_t read_this_turn = 0;
  while (read_this_turn < config_.batch_bytes && !stop.stop_requested()) {
    const ssize_t n = ::pread(tailer.fd, read_buffer_.data(), read_buffer_.size(),
                              static_cast<off_t>(tailer.read_offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_errors_->add();
      spdlog::warn("input {}: read error on {}: {}", context_.name, tailer.source->path,
                   std::strerror(errno));
      break;
    }
    if (n == 0) break;
    const auto size = static_cast<size_t>(n);
    tailer.splitter.feed(std::string_view(read_buffer_.data(), size), on_line);
    tailer.read_offset += size;
    read_this_turn += size;
    bytes_->add(size);
    progressed = true;
    if (tailer.batch && tailer.batch->byte_size() >= config_.batch_bytes) {
      if (!push(tailer, out, stop)) return false;
    }
  }
  if (tailer.orphaned && read_this_turn == 0) tailer.splitter.flush(on_line);
  return push(tailer, out, stop);
}

void FileInput::close_finished_files() {
  for (auto it = tailers_.begin(); it != tailers_.end();) {
    Tailer& tailer = *it->second;
    if (tailer.orphaned && !tailer.splitter.has_partial_line()) {
      spdlog::info("input {}: closing {}: it was rotated or deleted and is read to its end",
                   context_.name, tailer.source->path);
      ::close(tailer.fd);
      tailer.fd = -1;
      closing_.push_back(std::move(it->second));
      it = tailers_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(closing_, [](const auto& tailer) { return tailer->positions->settled(); });
}

Checkpoints FileInput::snapshot() const {
  Checkpoints checkpoints;
  const auto add = [&](const Tailer& tailer) {
    checkpoints[tailer.identity] = Checkpoint{tailer.source->path, tailer.positions->committed()};
  };
  for (const auto& [identity, tailer] : tailers_) add(*tailer);
  for (const auto& tailer : closing_) add(*tailer);
  return checkpoints;
}

void FileInput::save_if_changed() {
  Checkpoints current = snapshot();
  const bool same = current.size() == last_saved_.size() &&
                    std::equal(current.begin(), current.end(), last_saved_.begin(),
                               [](const auto& a, const auto& b) {
                                 return a.first == b.first && a.second.offset == b.second.offset &&
                                        a.second.path == b.second.path;
                               });
  if (same) return;
  if (Status status = store_.save(current); !status) {
    checkpoint_errors_->add();
    spdlog::error("input {}: cannot save checkpoints: {}", context_.name, status.error().message);
    return;
  }
  last_saved_ = std::move(current);
}

Status FileInput::run(BatchSink& out, std::stop_token stop) {
  load_checkpoints();
  rescan(/*at_startup=*/true);
  if (tailers_.empty()) {
    spdlog::warn("input {}: no file matches {} yet; checking again every {} ms", context_.name,
                 fmt::join(config_.include, ", "), config_.rescan_interval.count());
  }
  std::mutex idle_mutex;
  std::condition_variable_any idle;
  auto next_rescan = Clock::now() + config_.rescan_interval;
  auto next_checkpoint = Clock::now() + config_.checkpoint_interval;
  while (!stop.stop_requested()) {
    bool progressed = false;
    for (auto& [identity, tailer] : tailers_) {
      if (!read_turn(*tailer, out, stop, progressed)) return Status::ok();
    }
    close_finished_files();
    const auto now = Clock::now();
    if (now >= next_rescan) {
      rescan(/*at_startup=*/false);
      next_rescan = now + config_.rescan_interval;
    }
    if (now >= next_checkpoint) {
      save_if_changed();
      next_checkpoint = now + config_.checkpoint_interval;
    }
    if (!progressed) {
      std::unique_lock lock(idle_mutex);
      idle.wait_for(lock, stop, config_.poll_interval, [] { return false; });
    }
  }
  return Status::ok();
}

Status FileInput::save_positions() {
  save_if_changed();
  return Status::ok();
}

}  // namespace drover::inputs
