#include "tests/unit/inputs/file/file_input_fixture.h"

namespace drover::inputs {
namespace {

using testing::append_file;
using testing::wait_until;

TEST_F(FileInputTest, CheckpointAdvancesOnlyOverAcknowledgedBatches) {
  append_file(dir / "logs" / "a.log", "first\nsecond\n");
  Running running(config(), context());
  auto& sink = running.sink;

  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  append_file(dir / "logs" / "a.log", "third\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 3; }));
  ASSERT_EQ(sink.batch_count(), 2U);

  sink.ack(1);  // the later batch alone must not move the checkpoint (I1)
  EXPECT_EQ(committed_offset("a.log"), 0U);
  sink.ack(0);
  ASSERT_TRUE(wait_until([&] { return committed_offset("a.log") == 19; }))
      << committed_offset("a.log");
  running.stop();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"first", "second", "third"}));
}

TEST_F(FileInputTest, RestartResumesFromTheCheckpointWithoutDuplicates) {
  append_file(dir / "logs" / "a.log", "one\ntwo\n");
  {
    Running running(config(), context());
    auto& sink = running.sink;
    ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
    sink.ack_all();
    running.stop();
    ASSERT_TRUE(running.input.save_positions().has_value());
  }
  append_file(dir / "logs" / "a.log", "three\n");
  Running running(config(), context());
  auto& sink = running.sink;
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 1; }));
  running.stop();
  EXPECT_EQ(sink.records(), std::vector<std::string>{"three"});
}

TEST_F(FileInputTest, UnacknowledgedLinesAreReadAgainAfterRestart) {
  append_file(dir / "logs" / "a.log", "one\ntwo\n");
  {
    Running running(config(), context());
    auto& sink = running.sink;
    ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
    running.stop();
    ASSERT_TRUE(running.input.save_positions().has_value());
  }
  Running running(config(), context());
  auto& sink = running.sink;
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  running.stop();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(FileInputTest, StartAtEndSkipsExistingContentButReadsNewFilesWhole) {
  append_file(dir / "logs" / "old.log", "history\n");
  auto c = config();
  c.start_at = StartAt::kEnd;
  c.exclude = {(dir / "logs" / "skip*.log").string()};
  Running running(c, context());
  auto& sink = running.sink;
  // Files created after the start-up scan are new: they are read from their beginning.
  ASSERT_TRUE(wait_until([&] {
    return metrics.value("drover_input_files_opened_total", {{"input", "app"}}) == 1;
  }));
  append_file(dir / "logs" / "skip-me.log", "excluded\n");
  append_file(dir / "logs" / "new.log", "fresh\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 1; }));
  append_file(dir / "logs" / "old.log", "appended\n");
  ASSERT_TRUE(wait_until([&] { return sink.records().size() == 2; }));
  running.stop();
  EXPECT_EQ(sink.records(), (std::vector<std::string>{"fresh", "appended"}));
}

}  // namespace
}  // namespace drover::inputs
