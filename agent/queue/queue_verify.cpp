#include "agent/queue/queue_verify.h"

#include "agent/queue/disk_queue.h"

#include <fmt/format.h>

#include <algorithm>

namespace drover {
namespace {

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

int verify_queue(const std::filesystem::path& dir, bool repair, std::FILE* out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    fmt::print(out, "drover: {} is not a directory\n", dir.string());
    return 2;
  }
  if (repair) {
    RecoveryReport report;
    auto queue = DiskQueue::open({dir, UINT64_MAX, 64ULL << 20}, &report);
    if (!queue) {
      fmt::print(out, "drover: cannot repair {}: {}\n", dir.string(), queue.error().message);
      return 2;
    }
    queue->reset();
    fmt::print(out,
               "repaired {}: {} segment(s), {} batch(es) pending; {} damaged range(s) cut or "
               "skipped, {} bytes of acknowledged batches lost; {} stale segment(s) removed\n",
               dir.string(), report.segments, report.pending_frames, report.damage.size(),
               report.lost_bytes, report.stale_segments_removed);
    return 0;
  }

  std::string state_problem;
  const std::optional<QueueState> state = load_queue_state(dir, state_problem);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (segment_id_of(entry.path()) >= 0) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  fmt::print(out, "queue {}\n", dir.string());
  if (state) {
    size_t acked = 0;
    for (const auto& [segment, offsets] : state->acked) acked += offsets.size();
    fmt::print(out, "  state.json: first live segment {}, {} acknowledged batch(es) recorded\n",
               state->first_segment, acked);
  } else if (!files.empty()) {
    fmt::print(out, "  state.json: {}; every batch counts as pending\n", state_problem);
  }
  size_t frames = 0;
  size_t pending = 0;
  uint64_t pending_bytes = 0;
  uint64_t lost = 0;
  size_t damaged_ranges = 0;
  size_t torn = 0;
  size_t stale = 0;
  uint64_t expected_id = state ? state->first_segment : 0;
  for (const auto& file : files) {
    const auto id = static_cast<uint64_t>(segment_id_of(file));
    if (state && id < state->first_segment) {
      fmt::print(out, "  {}  acknowledged and due for removal (left by a crash)\n",
                 file.filename().string());
      ++stale;
      continue;
    }
    if (state && id > expected_id) {
      fmt::print(out, "  MISSING segment(s) {} to {}: their batches are lost\n",
                 segment_path(dir, expected_id).filename().string(),
                 segment_path(dir, id - 1).filename().string());
      ++damaged_ranges;
    }
    expected_id = id + 1;
    auto scan = scan_segment(file);
    if (!scan) {
      fmt::print(out, "  {}  {}\n", file.filename().string(), scan.error().message);
      ++damaged_ranges;
      continue;
    }
    size_t segment_pending = 0;
    const std::set<uint64_t>* acked = nullptr;
    if (state) {
      auto it = state->acked.find(id);
      if (it != state->acked.end()) acked = &it->second;
    }
    for (const auto& frame : scan->frames) {
      if (acked != nullptr && acked->contains(frame.offset)) continue;
      ++segment_pending;
      pending_bytes += frame.length;
    }
    frames += scan->frames.size();
    pending += segment_pending;
    fmt::print(out, "  {}  {} bytes, {} batch(es), {} pending\n", file.filename().string(),
               scan->file_size, scan->frames.size(), segment_pending);
    for (const auto& range : scan->damaged) {
      ++damaged_ranges;
      if (scan->torn_tail && range.end == scan->file_size) {
        ++torn;
        fmt::print(out,
                   "    torn tail at bytes {}-{}: {} (a write cut short; never "
                   "acknowledged to its source)\n",
                   range.begin, range.end, range.reason);
      } else {
        lost += range.end - range.begin;
        fmt::print(out, "    DAMAGED bytes {}-{}: {} ({} bytes lost)\n", range.begin, range.end,
                   range.reason, range.end - range.begin);
      }
    }
  }
  fmt::print(out,
             "{} segment(s), {} batch(es), {} pending ({}); {} damaged range(s) ({} torn "
             "tail(s), {} bytes lost); {} stale segment(s)\n",
             files.size(), frames, pending, mib(pending_bytes), damaged_ranges, torn, lost, stale);
  if (damaged_ranges > 0 || stale > 0) {
    fmt::print(out, "run `drover queue verify --repair {}` (or start drover) to repair it\n",
               dir.string());
    return 1;
  }
  return 0;
}

}  // namespace drover
