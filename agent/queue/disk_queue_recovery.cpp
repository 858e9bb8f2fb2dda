// DiskQueue's start-up: state.json read and written, and open(): every segment scanned, torn
// tails cut, damage skipped and reported, what is still to be sent counted — with progress for
// a person waiting on a large queue.
#include "agent/checkpoint_store.h"
#include "agent/queue/batch_codec.h"
#include "agent/queue/disk_queue.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

namespace drover {
namespace {

constexpr char kStateFile[] = "state.json";
constexpr int kStateVersion = 1;
constexpr uint64_t kLargeQueueBytes = 256ULL << 20;  // announced with its size before the scan

}  // namespace

std::optional<QueueState> load_queue_state(const std::filesystem::path& dir, std::string& problem) {
  const auto file = dir / kStateFile;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    problem = fmt::format("{} is missing", file.string());
    return std::nullopt;
  }
  simdjson::padded_string text;
  if (auto error = simdjson::padded_string::load(file.string()).get(text); error) {
    problem = fmt::format("cannot read {}: {}", file.string(), simdjson::error_message(error));
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t version = 0;
  uint64_t first = 0;
  simdjson::dom::object acked;
  if (parser.parse(text).get(root) || root["version"].get(version) ||
      root["first_segment"].get(first) || root["acked"].get(acked)) {
    problem = fmt::format("{} is not a drover queue state file", file.string());
    return std::nullopt;
  }
  if (version != kStateVersion) {
    problem = fmt::format("{} has version {} (this drover reads {})", file.string(), version,
                          kStateVersion);
    return std::nullopt;
  }
  QueueState state;
  state.first_segment = first;
  for (auto [key, value] : acked) {
    uint64_t segment = 0;
    const auto [end, parse_error] = std::from_chars(key.data(), key.data() + key.size(), segment);
    simdjson::dom::array offsets;
    if (parse_error != std::errc() || end != key.data() + key.size() || value.get(offsets)) {
      problem = fmt::format("{}: unreadable entry \"{}\"", file.string(), key);
      return std::nullopt;
    }
    auto& set = state.acked[segment];
    for (simdjson::dom::element offset : offsets) {
      uint64_t o = 0;
      if (offset.get(o)) {
        problem = fmt::format("{}: unreadable offset in \"{}\"", file.string(), key);
        return std::nullopt;
      }
      set.insert(o);
    }
  }
  return state;
}

Status save_queue_state(const std::filesystem::path& dir, const QueueState& state) {
  std::string out = fmt::format("{{\"version\":{},\"first_segment\":{},\"acked\":{{", kStateVersion,
                                state.first_segment);
  bool first_entry = true;
  for (const auto& [segment, offsets] : state.acked) {
    if (offsets.empty()) continue;
    fmt::format_to(std::back_inserter(out), "{}\"{}\":[{}]", first_entry ? "" : ",", segment,
                   fmt::join(offsets, ","));
    first_entry = false;
  }
  out += "}}\n";
  return write_file_atomically(dir / kStateFile, out);
}

Result<std::unique_ptr<DiskQueue>> DiskQueue::open(const DiskQueueOptions& options,
                                                   RecoveryReport* report_out,
                                                   StartupProgress* progress) {
  RecoveryReport report;
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Error{fmt::format("cannot create {}: {}", options.dir.string(), ec.message())};
  std::unique_ptr<DiskQueue> queue(new DiskQueue(options));

  std::optional<QueueState> state = load_queue_state(options.dir, report.state_problem);
  std::vector<std::pair<uint64_t, std::filesystem::path>> files;
  // Segments set aside at an earlier start: their loss was reported then; they are no gap.
  std::set<uint64_t> set_aside;
  for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
    const int64_t id = segment_id_of(entry.path());
    if (id >= 0) files.emplace_back(static_cast<uint64_t>(id), entry.path());
    if (entry.path().extension() == ".corrupt") {
      const int64_t corrupt_id = segment_id_of(entry.path().parent_path() / entry.path().stem());
      if (corrupt_id >= 0) set_aside.insert(static_cast<uint64_t>(corrupt_id));
    }
  }
  if (ec) return Error{fmt::format("cannot list {}: {}", options.dir.string(), ec.message())};
  std::sort(files.begin(), files.end());
  if (!state) {
    if (files.empty()) {
      report.state_problem.clear();  // a new queue
    } else {
      spdlog::warn(
          "queue {}: {}; every batch in its {} segment(s) will be sent again (duplicates "
          "possible, nothing lost)",
          options.dir.string(), report.state_problem, files.size());
    }
    state = QueueState{files.empty() ? kFirstSegmentId : files.front().first, {}};
  }

  uint64_t total_bytes = 0;
  for (const auto& [id, path] : files) total_bytes += std::filesystem::file_size(path, ec);
  if (total_bytes >= kLargeQueueBytes) {
    spdlog::info("queue {}: checking {} segment(s), {} MiB", options.dir.string(), files.size(),
                 total_bytes >> 20);
  }
  StartupProgress log_only;
  StartupProgress::Task task =
      (progress != nullptr ? progress : &log_only)
          ->begin(fmt::format("recovering the disk queue {}", options.dir.string()), "MiB",
                  total_bytes >> 20);
  uint64_t checked_bytes = 0;
  // New segments take ids after every one state.json has seen, even when none is left: an id
  // below first_segment would be taken for an acknowledged leftover at the next start.
  queue->next_segment_id_ = std::max(queue->next_segment_id_, state->first_segment);
  uint64_t expected_id = state->first_segment;
  for (const auto& [id, path] : files) {
    if (id < state->first_segment) {
      // Acknowledged and recorded as gone; a crash came before the file was removed.
      std::filesystem::remove(path, ec);
      ++report.stale_segments_removed;
      continue;
    }
    while (set_aside.contains(expected_id)) ++expected_id;
    if (id > expected_id && report.state_problem.empty()) {
      report.missing_segments.emplace_back(expected_id, id - 1);
    }
    expected_id = id + 1;
    auto scan = scan_segment(path);
    if (!scan) return scan.error();
    checked_bytes += scan->file_size;
    task.update(checked_bytes >> 20);
    for (const auto& range : scan->damaged) {
      report.damage.push_back({path, range, scan->torn_tail && range.end == scan->file_size});
      if (!report.damage.back().torn_tail) report.lost_bytes += range.end - range.begin;
    }
    if (!scan->header_error.empty()) {
      if (scan->torn_tail) {
        // Killed while creating it: no frame was written, so nothing in it was acknowledged.
        // Its id is used again, or the next start would take it for a lost segment.
        std::filesystem::remove(path, ec);
      } else {
        queue->next_segment_id_ = std::max(queue->next_segment_id_, id + 1);
        // Nothing can be trusted in it; set it aside for a person to look at.
        std::filesystem::rename(path, path.string() + ".corrupt", ec);
      }
      continue;
    }
    queue->next_segment_id_ = std::max(queue->next_segment_id_, id + 1);
    std::set<uint64_t> acked;
    if (auto it = state->acked.find(id); it != state->acked.end()) acked = it->second;
    uint64_t size = scan->valid_end;
    const bool damaged_inside =
        std::any_of(scan->damaged.begin(), scan->damaged.end(),
                    [&](const DamagedRange& r) { return r.end < scan->file_size; });
    if (damaged_inside) {
      // Rewrite it without the damage, so the loss is reported once, not at every start. The
      // frames move: forget their acknowledgements on disk first (a crash then replays them,
      // never takes one frame's acknowledgement for another's), then record them again.
      QueueState without = *state;
      without.acked.erase(id);
      if (Status s = save_queue_state(options.dir, without); !s) return s.error();
      auto moved = rewrite_segment(path, id, scan->frames);
      if (!moved) return moved.error();
      std::set<uint64_t> remapped;
      for (size_t i = 0; i < moved->size(); ++i) {
        if (acked.contains(scan->frames[i].offset)) remapped.insert((*moved)[i].offset);
      }
      acked = std::move(remapped);
      scan->frames = std::move(*moved);
      size = scan->frames.empty()
                 ? kSegmentHeaderBytes
                 : scan->frames.back().offset + kFrameHeaderBytes + scan->frames.back().length;
      state->acked[id] = acked;
    } else if (scan->torn_tail && scan->valid_end < scan->file_size) {
      std::filesystem::resize_file(path, scan->valid_end, ec);  // so the cut is done once
    }
    Segment segment;
    segment.id = id;
    segment.path = path;
    segment.size = size;
    segment.frames = std::move(scan->frames);
    segment.acked = std::move(acked);
    report.frames += segment.frames.size();
    ++report.segments;
    queue->bytes_ += segment.size;
    queue->segments_.emplace(id, std::move(segment));
  }
  // The frames to send: every valid one not acknowledged. Check that each still decodes.
  // (Not a structured binding: clang 14, which builds the fuzz targets, cannot capture one.)
  for (auto& id_and_segment : queue->segments_) {
    auto& segment = id_and_segment.second;
    std::erase_if(segment.acked, [&](uint64_t offset) {
      return std::none_of(segment.frames.begin(), segment.frames.end(),
                          [&](const FrameLocation& f) { return f.offset == offset; });
    });
    for (const auto& frame : segment.frames) {
      if (segment.acked.contains(frame.offset)) continue;
      ++report.pending_frames;
      report.pending_bytes += frame.length;
      ++queue->unread_;
    }
  }
  // A queue that was empty and stays so writes nothing: no disk writes while Kafka keeps up.
  queue->state_dirty_ =
      report.stale_segments_removed > 0 || !report.state_problem.empty() || !report.damage.empty();
  queue->drop_acknowledged_head();
  if (queue->state_dirty_) {
    if (Status s = queue->save_state(); !s) return s.error();
  }

  for (const auto& damage : report.damage) {
    if (damage.torn_tail) {
      spdlog::warn(
          "queue {}: cut a write cut short at bytes {}-{} of {} ({}); it was never "
          "acknowledged to its source, which sends it again",
          options.dir.string(), damage.range.begin, damage.range.end,
          damage.segment.filename().string(), damage.range.reason);
    } else {
      spdlog::error(
          "queue {}: LOST bytes {}-{} of {} ({}): {} bytes of queued batches could not "
          "be read and are skipped",
          options.dir.string(), damage.range.begin, damage.range.end,
          damage.segment.filename().string(), damage.range.reason,
          damage.range.end - damage.range.begin);
    }
  }
  for (const auto& [first, last] : report.missing_segments) {
    spdlog::error(
        "queue {}: LOST segment(s) {}: removed from the directory while their batches were "
        "still queued; the other segments are sent",
        options.dir.string(),
        first == last
            ? segment_path(options.dir, first).filename().string()
            : fmt::format("{} to {}", segment_path(options.dir, first).filename().string(),
                          segment_path(options.dir, last).filename().string()));
  }
  if (report.pending_frames > 0) {
    spdlog::info("queue {}: {} batch(es), {} bytes, wait on disk to be sent", options.dir.string(),
                 report.pending_frames, report.pending_bytes);
  }
  if (report_out != nullptr) *report_out = std::move(report);
  return queue;
}

}  // namespace drover
