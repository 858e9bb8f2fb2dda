#include "inputs/file/file_input.h"

#include "agent/checkpoint_store.h"
#include "tests/support/capturing_sink.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <gtest/gtest.h>

#include <thread>

namespace drover::inputs {
namespace {

using testing::append_file;
using testing::CapturingSink;
using testing::TempDir;
using testing::wait_until;

class FileInputTest : public ::testing::Test {
 protected:
  FileInputConfig config() const {
    FileInputConfig c;
    c.include = {(dir / "logs" / "*.log").string()};
    c.codec = Codec::kRaw;
    c.poll_interval = std::chrono::milliseconds(5);
    c.rescan_interval = std::chrono::milliseconds(20);
    c.checkpoint_interval = std::chrono::milliseconds(5);
    return c;
  }
  ComponentContext context() { return {"app", "host", dir / "data", &metrics, 0}; }
  uint64_t committed_offset(const std::string& file) const {
    auto loaded = CheckpointStore(dir / "data" / "checkpoints" / "app.json").load();
    if (!loaded) return 0;
    for (const auto& [key, cp] : *loaded) {
      if (cp.path == (dir / "logs" / file).string()) return cp.offset;
    }
    return 0;
  }

  void SetUp() override { std::filesystem::create_directories(dir / "logs"); }

  TempDir dir;
  Metrics metrics;
};

TEST_F(FileInputTest, CheckpointAdvancesOnlyOverAcknowledgedBatches) {
  append_file(dir / "logs" / "a.log", "first\nsecond\n");
  FileInput input(config(), context());
  CapturingSink sink;
  std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });

  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  append_file(dir / "logs" / "a.log", "third\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 3; }));
  ASSERT_EQ(sink.batch_count(), 2U);

  sink.ack(1);  // the later batch alone must not move the checkpoint (I1)
  EXPECT_EQ(committed_offset("a.log"), 0U);
  sink.ack(0);
  ASSERT_TRUE(wait_until([&] { return committed_offset("a.log") == 19; }))
      << committed_offset("a.log");
  thread.request_stop();
  thread.join();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(FileInputTest, RestartResumesFromTheCheckpointWithoutDuplicates) {
  append_file(dir / "logs" / "a.log", "one\ntwo\n");
  {
    FileInput input(config(), context());
    CapturingSink sink;
    std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
    ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
    sink.ack_all();
    thread.request_stop();
    thread.join();
    ASSERT_TRUE(input.save_positions().has_value());
  }
  append_file(dir / "logs" / "a.log", "three\n");
  FileInput input(config(), context());
  CapturingSink sink;
  std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 1; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(sink.records(), std::vector<std::string>{"three"});
}

TEST_F(FileInputTest, UnacknowledgedLinesAreReadAgainAfterRestart) {
  append_file(dir / "logs" / "a.log", "one\ntwo\n");
  {
    FileInput input(config(), context());
    CapturingSink sink;
    std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
    ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
    thread.request_stop();
    thread.join();
    ASSERT_TRUE(input.save_positions().has_value());
  }
  FileInput input(config(), context());
  CapturingSink sink;
  std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(FileInputTest, StartAtEndSkipsExistingContentButReadsNewFilesWhole) {
  append_file(dir / "logs" / "old.log", "history\n");
  auto c = config();
  c.start_at = StartAt::kEnd;
  c.exclude = {(dir / "logs" / "skip*.log").string()};
  FileInput input(c, context());
  CapturingSink sink;
  std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
  // Files created after the start-up scan are new: they are read from their beginning.
  ASSERT_TRUE(wait_until([&] {
    return metrics.value("drover_input_files_opened_total", {{"input", "app"}}) == 1;
  }));
  append_file(dir / "logs" / "skip-me.log", "excluded\n");
  append_file(dir / "logs" / "new.log", "fresh\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 1; }));
  append_file(dir / "logs" / "old.log", "appended\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  thread.request_stop();
  thread.join();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"fresh", "appended"}));
}

}  // namespace
}  // namespace drover::inputs
