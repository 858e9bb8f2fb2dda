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

TEST_F(FileInputTest, UntilItsFirstScanHasFollowedEveryFileItKeepsDroverNotReady) {
  for (int i = 0; i < 20; ++i) {
    testing::write_file(dir / "logs" / fmt::format("{}.log", i), fmt::format("file {}\n", i));
  }
  StartupProgress progress;
  ComponentContext with_progress = context();
  with_progress.progress = &progress;
  FileInput input(config(), with_progress);
  ASSERT_EQ(progress.running().size(), 1U);
  EXPECT_TRUE(progress.running()[0].starts_with("input app: opening files: "))
      << progress.running()[0];
  testing::CapturingSink sink;
  std::jthread thread([&](std::stop_token stop) { (void)input.run(sink, stop); });
  EXPECT_TRUE(progress.wait_done(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(metric("drover_input_followed_files"), 20U);
  thread.request_stop();
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

namespace drover::inputs {
namespace {

using testing::append_file;
using testing::wait_until;

TEST_F(FileInputTest, AOneGibLineIsCutToMaxLineBytesAndTheLinesAroundItArrive) {
  const auto path = dir / "logs" / "huge.log";
  append_file(path, "before\nL");
  // A sparse file: a 1 GiB line without writing 1 GiB (its middle reads as zero bytes).
  constexpr uint64_t kGib = uint64_t{1} << 30;
  std::filesystem::resize_file(path, 8 + kGib);
  append_file(path, "END\nafter\n");
  auto c = config();
  c.max_line_bytes = 1 << 20;
  Running running(c, context());
  ASSERT_TRUE(
      wait_until([&] { return running.sink.records().size() == 3; }, std::chrono::seconds(120)));
  running.stop();
  const auto records = running.sink.records();
  EXPECT_EQ(records[0], "before");
  ASSERT_EQ(records[1].size(), size_t{1} << 20);
  EXPECT_EQ(records[1].front(), 'L');
  EXPECT_EQ(records[2], "after");
  EXPECT_EQ(metric("drover_input_truncated_lines_total"), 1U);
}

TEST_F(FileInputTest, AnUnfinishedLastLineIsShippedOnceItsFileIdlesForTheTimeout) {
  auto c = config();
  c.partial_line_timeout = std::chrono::milliseconds(200);
  Running running(c, context());
  append_file(dir / "logs" / "a.log", "complete\nno newline yet");
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 2; }));
  EXPECT_EQ(metric("drover_input_partial_lines_flushed_total"), 1U);
  append_file(dir / "logs" / "a.log", " and the rest\n");
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 3; }));
  running.stop();
  EXPECT_EQ(running.sink.records(),
            (std::vector<std::string>{"complete", "no newline yet", " and the rest"}));
}

TEST_F(FileInputTest, ABusyFileDoesNotStarveAQuietOne) {
  std::string big;
  for (int i = 0; big.size() < (8 << 20); ++i) big += fmt::format("big line {:08}\n", i);
  append_file(dir / "logs" / "a-big.log", big);
  append_file(dir / "logs" / "b-small.log", "small\n");
  auto c = config();
  c.batch_bytes = 64 << 10;  // one turn per file
  Running running(c, context());
  const size_t total = static_cast<size_t>(std::count(big.begin(), big.end(), '\n')) + 1;
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == total; }));
  running.stop();
  const auto records = running.sink.records();
  const auto small = std::find(records.begin(), records.end(), "small");
  ASSERT_NE(small, records.end());
  // Turns alternate: the small file's line comes within the big file's first two turns.
  EXPECT_LT(small - records.begin(), 2 * (64 << 10) / 18);
}

TEST_F(FileInputTest, OpenFilesStayUnderTheCapAndEveryFileIsReadInTurn) {
  auto c = config();
  c.max_open_files = 5;
  std::vector<std::string> expected;
  for (int f = 0; f < 40; ++f) {
    const std::string line = fmt::format("file {:02} first", f);
    append_file(dir / "logs" / fmt::format("f{:02}.log", f), line + "\n");
    expected.push_back(line);
  }
  Running running(c, context());
  uint64_t most_open = 0;
  const auto watch = [&](size_t count) {
    return wait_until([&] {
      most_open = std::max(most_open, metric("drover_input_open_files"));
      return running.sink.records().size() == count;
    });
  };
  ASSERT_TRUE(watch(expected.size()));
  for (int f = 0; f < 40; ++f) {
    const std::string line = fmt::format("file {:02} second", f);
    append_file(dir / "logs" / fmt::format("f{:02}.log", f), line + "\n");
    expected.push_back(line);
  }
  ASSERT_TRUE(watch(expected.size()));
  running.stop();
  EXPECT_LE(most_open, 5U);
  auto records = running.sink.records();
  std::sort(records.begin(), records.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(records, expected);
}

TEST_F(FileInputTest, IdleFilesGiveBackTheirDescriptorAndAreReadAgainWhenTheyGrow) {
  auto c = config();
  c.close_idle_after = std::chrono::milliseconds(50);
  append_file(dir / "logs" / "a.log", "one\n");
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return metric("drover_input_files_closed_idle_total") == 1; }));
  append_file(dir / "logs" / "a.log", "two\n");
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 2; }));
  running.stop();
  EXPECT_EQ(running.sink.records(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(FileInputTest, FilesUntouchedLongerThanIgnoreOlderStartAtTheirEnd) {
  const auto old_file = dir / "logs" / "old.log";
  append_file(old_file, "ancient\n");
  std::filesystem::last_write_time(
      old_file, std::filesystem::file_time_type::clock::now() - std::chrono::hours(48));
  append_file(dir / "logs" / "new.log", "recent\n");
  auto c = config();
  c.ignore_older = std::chrono::hours(24);
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 1; }));
  append_file(old_file, "appended\n");
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 2; }));
  running.stop();
  EXPECT_EQ(running.sink.records(), (std::vector<std::string>{"recent", "appended"}));
}

TEST_F(FileInputTest, CheckpointsOfFilesGoneLongerThanTheRetentionAreForgotten) {
  auto c = config();
  c.checkpoint_retention = std::chrono::milliseconds(100);
  append_file(dir / "logs" / "gone.log", "x\n");
  append_file(dir / "logs" / "kept.log", "y\n");
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 2; }));
  running.sink.ack_all();
  std::filesystem::remove(dir / "logs" / "gone.log");
  CheckpointStore store(dir / "data" / "checkpoints" / "app.json");
  ASSERT_TRUE(wait_until([&] {
    auto loaded = store.load();
    return loaded && loaded->size() == 1 &&
           loaded->begin()->second.path == (dir / "logs" / "kept.log").string();
  }));
  running.stop();
}

TEST_F(FileInputTest, ExcludeWithoutASlashMatchesTheFileName) {
  auto c = config();
  c.include = {(dir / "logs" / "**" / "*").string()};
  c.exclude = {"*.gz"};
  std::filesystem::create_directories(dir / "logs" / "sub");
  append_file(dir / "logs" / "sub" / "a.log", "kept\n");
  append_file(dir / "logs" / "sub" / "a.log.1.gz", "compressed\n");
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 1; }));
  running.stop();
  EXPECT_EQ(running.sink.records(), std::vector<std::string>{"kept"});
}

TEST_F(FileInputTest, BinaryGarbageIsShippedLineByLineWithoutHarm) {
  std::string garbage;
  uint32_t state = 12345;
  for (int i = 0; i < (1 << 20); ++i) {
    state = state * 1103515245U + 12345U;
    garbage += static_cast<char>(state >> 24);
  }
  garbage += '\n';
  append_file(dir / "logs" / "a.log", garbage);
  for (const Codec codec : {Codec::kRaw, Codec::kJson}) {
    std::filesystem::remove_all(dir / "data");
    auto c = config();
    c.codec = codec;
    c.max_line_bytes = 4096;
    Metrics own;
    Running running(c, {"app", "host", dir / "data", &own, 0});
    const auto lines = static_cast<size_t>(std::count(garbage.begin(), garbage.end(), '\n'));
    ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == lines; }));
    running.stop();
    EXPECT_GT(own.value("drover_input_invalid_utf8_bytes_total", {{"input", "app"}}), 0U);
  }
}

}  // namespace
}  // namespace drover::inputs
