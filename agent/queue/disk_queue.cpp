#include "agent/queue/disk_queue.h"

#include "agent/checkpoint_store.h"
#include "agent/queue/batch_codec.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

namespace drover {
namespace {

constexpr auto kSaveInterval = std::chrono::seconds(1);

}  // namespace

DiskQueue::~DiskQueue() {
  if (writer_) (void)writer_->sync();
  if (!state_dirty_) return;
  if (Status s = save_state(); !s) {
    spdlog::error("queue {}: {}", options_.dir.string(), s.error().message);
  }
}

bool DiskQueue::has_room(uint64_t batch_bytes) const {
  return bytes_ + batch_bytes + kFrameHeaderBytes + kSegmentHeaderBytes <= options_.max_bytes;
}

Status DiskQueue::roll_segment() {
  if (writer_) {
    if (Status s = writer_->sync(); !s) return s;
    writer_.reset();
  }
  auto writer = SegmentWriter::create(options_.dir, next_segment_id_);
  if (!writer) return writer.error();
  ++next_segment_id_;
  writer_ = std::move(*writer);
  state_dirty_ = true;  // a queue with segments keeps a state file, even with nothing acked
  Segment segment;
  segment.id = writer_->id();
  segment.path = writer_->path();
  segment.size = writer_->size();
  bytes_ += segment.size;
  segments_.emplace(segment.id, std::move(segment));
  return Status::ok();
}

Result<FrameId> DiskQueue::append(const Batch& batch) {
  scratch_.clear();
  encode_batch(batch, scratch_);
  if (!writer_ || writer_->size() + scratch_.size() > options_.segment_bytes) {
    if (Status s = roll_segment(); !s) return s.error();
  }
  auto offset = writer_->append(scratch_);
  if (!offset) return offset.error();
  Segment& segment = segments_.at(writer_->id());
  segment.frames.push_back({*offset, static_cast<uint32_t>(scratch_.size())});
  bytes_ += writer_->size() - segment.size;
  segment.size = writer_->size();
  ++unread_;
  return FrameId{segment.id, *offset};
}

Status DiskQueue::sync() { return writer_ ? writer_->sync() : Status::ok(); }

UniqueFd DiskQueue::duplicate_writer() const { return writer_ ? writer_->duplicate() : UniqueFd(); }

Result<size_t> DiskQueue::write_ahead(const std::vector<const Batch*>& batches) {
  if (batches.empty()) return size_t{0};
  const uint64_t first = segments_.empty() ? next_segment_id_ : segments_.begin()->first;
  if (first <= 1) return Error{"no segment id is left below the first segment"};
  const uint64_t id = first - 1;
  auto writer = SegmentWriter::create(options_.dir, id);
  if (!writer) return writer.error();
  Segment segment;
  segment.id = id;
  segment.path = (*writer)->path();
  size_t written = 0;
  for (const Batch* batch : batches) {
    scratch_.clear();
    encode_batch(*batch, scratch_);
    if (!has_room(scratch_.size() + (*writer)->size())) break;
    auto offset = (*writer)->append(scratch_);
    if (!offset) break;  // disk full: what is not written stays unacknowledged at its source
    segment.frames.push_back({*offset, static_cast<uint32_t>(scratch_.size())});
    ++written;
  }
  if (Status s = (*writer)->sync(); !s) return s.error();
  segment.size = (*writer)->size();
  bytes_ += segment.size;
  unread_ += written;
  segments_.emplace(id, std::move(segment));
  // Until state.json names it, the next start takes this segment for a leftover and removes it;
  // its batches were not yet acknowledged to their sources, so they are read again, not lost.
  if (Status s = save_state(); !s) return s.error();
  return written;
}

std::optional<DiskQueue::Entry> DiskQueue::next() {
  if (unread_ == 0) return std::nullopt;  // polled by an idle output: skip walking segments
  for (auto& [id, segment] : segments_) {
    while (segment.next_frame < segment.frames.size()) {
      const FrameLocation frame = segment.frames[segment.next_frame++];
      if (segment.acked.contains(frame.offset)) continue;
      --unread_;
      if (!segment.reader.valid()) {
        segment.reader = UniqueFd(::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC));
        // Replay reads a segment front to back: a larger read-ahead keeps the disk busy while
        // batches are decoded.
        if (segment.reader.valid()) {
          ::posix_fadvise(segment.reader.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
        }
      }
      Status status = segment.reader.valid() ? read_frame(segment.reader.get(), frame, scratch_)
                                             : errno_error("cannot open", segment.path);
      std::shared_ptr<Batch> batch;
      if (status) {
        auto decoded = decode_batch(scratch_);
        if (decoded) {
          batch = std::move(*decoded);
        } else {
          status = decoded.error();
        }
      }
      if (!status) {
        ++unreadable_;
        spdlog::error("queue {}: LOST the batch at byte {} of {}: {}", options_.dir.string(),
                      frame.offset, segment.path.filename().string(), status.error().message);
        acknowledge({id, frame.offset});  // nothing to send; let its segment go
        continue;
      }
      return Entry{std::move(batch), {id, frame.offset}};
    }
  }
  return std::nullopt;
}

void DiskQueue::acknowledge(FrameId id) {
  auto it = segments_.find(id.segment);
  if (it == segments_.end() || !it->second.acked.insert(id.offset).second) return;
  state_dirty_ = true;
  drop_acknowledged_head();
  maybe_save_state();
}

size_t DiskQueue::unacknowledged_frames() const {
  size_t count = 0;
  for (const auto& [id, segment] : segments_) count += segment.frames.size() - segment.acked.size();
  return count;
}

void DiskQueue::drop_acknowledged_head() {
  while (!segments_.empty()) {
    Segment& head = segments_.begin()->second;
    if (head.acked.size() < head.frames.size()) return;
    // Drained, even the segment being written: the next spill starts a new one, so a queue that
    // has caught up holds nothing on disk.
    if (writer_ && writer_->id() == head.id) writer_.reset();
    // state.json first: a crash after it leaves a file the next start removes, never replays.
    const std::filesystem::path path = head.path;
    const uint64_t size = head.size;
    segments_.erase(segments_.begin());
    state_dirty_ = true;
    if (Status s = save_state(); !s) {
      spdlog::error("queue {}: {}; segment {} is kept until the state can be saved",
                    options_.dir.string(), s.error().message, path.filename().string());
      return;  // the segment is forgotten in memory; the next start removes or replays it
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);
    bytes_ -= std::min(bytes_, size);
  }
}

void DiskQueue::maybe_save_state() {
  const auto now = std::chrono::steady_clock::now();
  if (!state_dirty_ || now - last_save_ < kSaveInterval) return;
  if (Status s = save_state(); !s) {
    spdlog::error("queue {}: {}", options_.dir.string(), s.error().message);
  }
}

Status DiskQueue::save_state() {
  QueueState state;
  state.first_segment = segments_.empty() ? next_segment_id_ : segments_.begin()->first;
  for (const auto& [id, segment] : segments_) state.acked[id] = segment.acked;
  if (Status s = save_queue_state(options_.dir, state); !s) return s;
  state_dirty_ = false;
  last_save_ = std::chrono::steady_clock::now();
  return Status::ok();
}

}  // namespace drover
