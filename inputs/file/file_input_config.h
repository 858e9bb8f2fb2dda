// Settings of one `type = "file"` input, parsed without touching the file system.
#pragma once

#include "config/toml_reader.h"
#include "inputs/common/line_format.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace drover::inputs {

enum class StartAt { kBeginning, kEnd };

/// The line format (codec, parser, multiline...) and what only files have.
struct FileInputConfig : LineFormat {
  std::vector<std::string> include;              // absolute glob patterns; `**` spans directories
  std::vector<std::string> exclude;              // against the full path, or the name if no '/'
  StartAt start_at = StartAt::kBeginning;        // for files without a checkpoint found at start-up
  bool use_inotify = true;                       // false: find appends by polling every open file
  std::chrono::milliseconds poll_interval{250};  // polling only: how often open files are checked
  // A full scan of the globs and of every file's size, catching what events missed (and all
  // there is when polling).
  std::chrono::milliseconds rescan_interval{10000};
  std::chrono::milliseconds checkpoint_interval{1000};
  // Files last modified longer ago than this, without a checkpoint, are skipped to their end;
  // zero reads every file.
  std::chrono::milliseconds ignore_older{0};
  std::chrono::milliseconds close_idle_after{std::chrono::minutes(5)};  // frees the descriptor
  // A rotated or deleted file is read until it has not grown for this long: its writer may
  // still be writing to it until it reopens the path.
  std::chrono::milliseconds rotate_wait{5000};
  uint64_t max_open_files = 1024;  // files waiting for a descriptor are read as others close
  // An unfinished last line is shipped as it is once its file has not grown for this long.
  std::chrono::milliseconds partial_line_timeout{10000};
  // Checkpoints of files gone this long are forgotten.
  std::chrono::milliseconds checkpoint_retention{std::chrono::hours(24 * 7)};
  // Encoded bytes per batch (and per file per turn): one read's worth (kReadChunk), so a batch
  // is filled by one read into a buffer reserved once. 1 MiB batches, grown by doubling from
  // one read, made the allocator keep a third more memory resident (bench/RESULTS.md).
  uint64_t batch_bytes = 256 << 10;
};

FileInputConfig parse_file_input_config(config::TomlReader& reader);
}  // namespace drover::inputs
