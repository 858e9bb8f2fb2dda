// A file input's checkpoints as a crash or a bad disk can leave them: the snapshot and its
// journal, both from the input (split at fuzz::kFileSeparator). Loading either gives
// checkpoints or an error naming the file; what loads saves and loads back the same.
#include "agent/checkpoint_store.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdint>

using namespace drover;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::ScratchDir scratch;
  const auto files =
      fuzz::split_files(std::string_view(reinterpret_cast<const char*>(data), size), 2);
  const std::filesystem::path& dir = scratch.fresh();
  fuzz::write_file(dir / "checkpoints.json", files[0]);
  if (!files[1].empty()) fuzz::write_file(dir / "checkpoints.json.journal", files[1]);

  CheckpointStore store(dir / "checkpoints.json");
  const Result<Checkpoints> loaded = store.load();
  if (!loaded) {
    if (loaded.error().message.find("checkpoints.json") == std::string::npos) {
      fuzz::fail("a load error does not name the file");
    }
    return 0;
  }
  if (!store.save(*loaded)) fuzz::fail("cannot save what was loaded");
  CheckpointStore again(dir / "checkpoints.json");
  const Result<Checkpoints> reloaded = again.load();
  if (!reloaded || *reloaded != *loaded) fuzz::fail("checkpoints do not survive save and load");
  return 0;
}
