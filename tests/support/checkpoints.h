// What an input has committed, read the way drover reads it at start-up.
#pragma once

#include "agent/checkpoint_store.h"

#include <filesystem>
#include <optional>
#include <string>

namespace drover::testing {

/// The checkpoint of `file` in `<data_dir>/checkpoints/<input>.json`, if it has one.
inline std::optional<Checkpoint> checkpoint_of(const std::filesystem::path& data_dir,
                                               const std::string& input,
                                               const std::filesystem::path& file) {
  auto loaded = CheckpointStore(data_dir / "checkpoints" / (input + ".json")).load();
  if (!loaded) return std::nullopt;
  for (const auto& [key, checkpoint] : *loaded) {
    if (checkpoint.path == file.string()) return checkpoint;
  }
  return std::nullopt;
}

/// Its committed offset, 0 if none.
inline uint64_t committed_offset(const std::filesystem::path& data_dir, const std::string& input,
                                 const std::filesystem::path& file) {
  const auto checkpoint = checkpoint_of(data_dir, input, file);
  return checkpoint ? checkpoint->offset : 0;
}

}  // namespace drover::testing
