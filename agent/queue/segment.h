// One append-only file of the disk queue: a versioned header, then frames of
//   marker (4 bytes) | payload length (4) | CRC-32C of length + payload (4) | payload
// The marker lets a reader find the next frame after a damaged one; the CRC covers the length,
// so a flipped length bit is caught rather than followed. A frame is named by its byte offset.
#pragma once

#include "agent/unique_fd.h"
#include "base/status.h"

#include <cstdint>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

inline constexpr size_t kSegmentHeaderBytes = 24;
inline constexpr size_t kFrameHeaderBytes = 12;
inline constexpr uint32_t kMaxFramePayload = 1U << 30;

/// "<dir>/<id, 20 digits>.seg": names sort in id order.
std::filesystem::path segment_path(const std::filesystem::path& dir, uint64_t id);
/// The id in a segment file's name, or -1 for other files.
int64_t segment_id_of(const std::filesystem::path& file);

class SegmentWriter {
 public:
  /// Creates the file (it must not exist), writes and syncs its header and the directory entry.
  static Result<std::unique_ptr<SegmentWriter>> create(const std::filesystem::path& dir,
                                                       uint64_t id);
  /// The same under another name in `dir` (a segment being rewritten).
  static Result<std::unique_ptr<SegmentWriter>> create_at(const std::filesystem::path& dir,
                                                          const std::filesystem::path& path,
                                                          uint64_t id);

  /// Appends one frame and returns its offset. If the write fails (disk full), the file is cut
  /// back to its previous size, so no partial frame stays behind.
  Result<uint64_t> append(std::string_view payload);
  /// fdatasync: every frame appended so far survives a crash.
  Status sync();
  /// Another descriptor of the file, to sync it without holding up the writer.
  UniqueFd duplicate() const { return UniqueFd(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0)); }
  uint64_t size() const { return size_; }
  uint64_t id() const { return id_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SegmentWriter(std::filesystem::path path, uint64_t id, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), id_(id), fd_(std::move(fd)), size_(size) {}

  std::filesystem::path path_;
  uint64_t id_;
  UniqueFd fd_;
  uint64_t size_;
};

struct FrameLocation {
  uint64_t offset;  // of the frame header
  uint32_t length;  // of the payload
};

struct DamagedRange {
  uint64_t begin;
  uint64_t end;
  std::string reason;
};

/// What a segment holds: its valid frames, and the byte ranges no frame could be read from.
struct SegmentScan {
  std::filesystem::path path;
  uint64_t id = 0;
  uint64_t file_size = 0;
  std::string header_error;  // non-empty: the header is unreadable, no frame was read
  std::vector<FrameLocation> frames;
  std::vector<DamagedRange> damaged;
  /// The damage runs to the end of the file: a write cut short (crash or disk full). Frames in a
  /// torn tail were never synced, so no source committed them (I1).
  bool torn_tail = false;
  uint64_t valid_end = 0;  // end of the last valid frame (or of the header)
};

/// Reads the whole segment, checking every frame. Fails only if the file cannot be read.
Result<SegmentScan> scan_segment(const std::filesystem::path& file);

/// Reads one frame's payload, checking its CRC again (the disk may have changed since the scan).
Status read_frame(int fd, const FrameLocation& frame, std::string& payload);

/// Writes `frames` of the segment `file` (id `id`) to a new file beside it and renames it over
/// `file`: the damaged ranges between them are gone. Returns the frames' new locations, in order.
Result<std::vector<FrameLocation>> rewrite_segment(const std::filesystem::path& file, uint64_t id,
                                                   const std::vector<FrameLocation>& frames);

}  // namespace drover
