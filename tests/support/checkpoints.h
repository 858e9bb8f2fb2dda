// What an input has committed, read the way drover reads it at start-up.
#pragma once

#include "agent/checkpoint_store.h"

#include <filesystem>
#include <string>

namespace drover::testing {

/// The committed offset of `file` in `<data_dir>/checkpoints/<input>.json`, 0 if none.
inline uint64_t committed_offset(const std::filesystem::path& data_dir, const std::string& input,
                                 const std::filesystem::path& file) {
  auto loaded = CheckpointStore(data_dir / "checkpoints" / (input + ".json")).load();
  if (!loaded) return 0;
  for (const auto& [key, checkpoint] : *loaded) {
    if (checkpoint.path == file.string()) return checkpoint.offset;
  }
  return 0;
}

}  // namespace drover::testing
