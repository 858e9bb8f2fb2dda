// Source positions on disk, per input: a JSON snapshot replaced atomically (write a temporary
// file, fsync, rename, fsync the directory) so a crash leaves the old or the new version, and a
// journal of the changes since, one JSON line per changed source, so that a few files moving
// among thousands do not rewrite them all. Owned and called by one input thread.
#pragma once

#include "base/status.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

  bool operator==(const Checkpoint&) const = default;
};

using Checkpoints = std::map<std::string, Checkpoint>;  // by source identity

class CheckpointStore {
 public:
  /// Checkpoints live in `file` (a snapshot of all of them) and `file`.journal (changes since).
  explicit CheckpointStore(std::filesystem::path file);
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  /// The snapshot with the journal's changes applied; empty when there is no snapshot. A torn
  /// last journal line (a crash while appending) ends the replay: the positions before it are
  /// older, so at worst lines are sent again (I1). An error names the file and what is wrong.
  Result<Checkpoints> load();
  /// Writes every checkpoint as a new snapshot and starts an empty journal.
  Status save(const Checkpoints& all);
  /// Appends what changed to the journal (one line each, then fdatasync): thousands of files
  /// cost only the few that moved. `all` (the table after the change) becomes a new snapshot
  /// instead when the journal has outgrown the snapshot, or its last append failed.
  Status save_changes(const Checkpoints& changed, const std::vector<std::string>& forgotten,
                      const Checkpoints& all);
  /// Renames an unreadable file aside (".corrupt") so the evidence is kept.
  void quarantine() const;
  const std::filesystem::path& file() const { return file_; }
  const std::filesystem::path& journal_file() const { return journal_file_; }

 private:
  void replay_journal(Checkpoints& checkpoints) const;

  std::filesystem::path file_;
  std::filesystem::path journal_file_;
  uint64_t generation_ = 0;  // of the snapshot; a journal of another generation is stale
  int journal_fd_ = -1;      // open for appending once save() started the journal
  uint64_t journal_bytes_ = 0;
  uint64_t snapshot_bytes_ = 0;
};

/// Writes `content` to `file` atomically (temporary file, fsync, rename, fsync directory).
Status write_file_atomically(const std::filesystem::path& file, std::string_view content);

}  // namespace drover
