// Source positions on disk: one small JSON file per input, replaced atomically (write a
// temporary file, fsync, rename, fsync the directory) so a crash leaves the old or the new
// version, never a torn one. Owned and called by one input thread.
#pragma once

#include "agent/status.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace drover {

struct Checkpoint {
  std::string path;     // where the source was last seen
  uint64_t offset = 0;  // everything before it is safe
  // Tell a source from another that reuses its key (a recycled inode, a file rewritten in
  // place): a hash of its first `head_bytes` bytes and one of the bytes just before `offset`.
  // Zero when unknown (version 1 files, sources without content to hash).
  uint32_t head_bytes = 0;
  uint64_t head_hash = 0;
  uint64_t tail_hash = 0;
  int64_t seen_unix_ms = 0;  // when the source was last seen; forgotten after a retention
};

using Checkpoints = std::map<std::string, Checkpoint>;  // by source identity

class CheckpointStore {
 public:
  explicit CheckpointStore(std::filesystem::path file) : file_(std::move(file)) {}

  /// Empty when the file does not exist. An error names the file and what is wrong with it.
  Result<Checkpoints> load() const;
  Status save(const Checkpoints& checkpoints) const;
  /// Renames an unreadable file aside (".corrupt") so the evidence is kept.
  void quarantine() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

/// Writes `content` to `file` atomically (temporary file, fsync, rename, fsync directory).
Status write_file_atomically(const std::filesystem::path& file, std::string_view content);

}  // namespace drover
