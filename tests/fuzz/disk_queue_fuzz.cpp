// A disk queue as a crash, a full disk or a bad sector can leave it: state.json and two segment
// files, all three from the input (split at fuzz::kFileSeparator). Reads it the three ways
// drover does: `drover queue verify`, the start-up recovery (DiskQueue::open) with every
// pending batch decoded, and `queue verify --repair`. None may crash, read out of bounds or
// hang; after a repair, verify must find the queue intact.
#include "agent/queue/disk_queue.h"
#include "agent/queue/queue_verify.h"
#include "agent/queue/segment.h"
#include "tests/fuzz/fuzz_input.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>

using namespace drover;

namespace {

std::FILE* null_output() {
  static std::FILE* out = std::fopen("/dev/null", "w");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // recovery logs every damaged range it skips
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::ScratchDir scratch;
  const auto files =
      fuzz::split_files(std::string_view(reinterpret_cast<const char*>(data), size), 3);
  const std::filesystem::path& dir = scratch.fresh();
  if (!files[0].empty()) fuzz::write_file(dir / "state.json", files[0]);
  fuzz::write_file(segment_path(dir, kFirstSegmentId), files[1]);
  if (!files[2].empty()) fuzz::write_file(segment_path(dir, kFirstSegmentId + 1), files[2]);

  (void)verify_queue(dir, false, null_output());
  {
    RecoveryReport report;
    auto queue = DiskQueue::open({dir, UINT64_MAX, 1 << 20}, &report);
    if (queue) {
      size_t read = 0;
      while (auto entry = (*queue)->next()) {
        if (entry->batch == nullptr) fuzz::fail("next() gave an entry without a batch");
        (*queue)->acknowledge(entry->id);
        ++read;
      }
      if (read > report.pending_frames) fuzz::fail("more batches read than were pending");
    }
  }
  if (verify_queue(dir, true, null_output()) == 0 && verify_queue(dir, false, null_output()) != 0) {
    fuzz::fail("verify finds damage in a queue it has just repaired");
  }
  return 0;
}
