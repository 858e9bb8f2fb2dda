// The rotation matrix: for each way a file is rotated, cut or replaced, the exact multiset of
// lines shipped, every line once and none twice. Each runs with inotify and with polling.
#include "tests/unit/inputs/file/file_input_fixture.h"

#include <optional>
#include <sys/stat.h>

namespace drover::inputs {
namespace {

using testing::wait_until;

class RotationTest : public FileInputTest, public ::testing::WithParamInterface<bool> {
 protected:
  FileInputConfig config() const {
    FileInputConfig c = FileInputTest::config();
    c.use_inotify = GetParam();
    return c;
  }
  std::filesystem::path log(std::string_view name) const { return dir / "logs" / name; }
  std::optional<std::vector<std::string>> checkpoint_then_reuse_inode(
      const FileInputConfig& c, std::vector<std::string> expected);
};

INSTANTIATE_TEST_SUITE_P(Discovery, RotationTest, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "Inotify" : "Polling";
                         });

uint64_t inode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

/// Creates `path` anew until the file system hands it `inode` again (ext4 usually does at once;
/// files given other inodes are set aside so they are not offered again). False if it never does.
bool create_reusing_inode(const std::filesystem::path& path, uint64_t inode) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    testing::write_file(path, "");
    if (inode_of(path) == inode) return true;
    std::filesystem::rename(
        path, path.parent_path().parent_path() / ("set-aside-" + std::to_string(attempt)));
  }
  return false;
}

/// Ships 100 lines of a.log (after `expected`, what other files hold), acknowledges them, stops,
/// and creates a new a.log on the same inode with 100 longer lines (the old offset fits in it).
/// Returns the new lines, or nothing where the file system does not reuse the inode.
std::optional<std::vector<std::string>> RotationTest::checkpoint_then_reuse_inode(
    const FileInputConfig& c, std::vector<std::string> expected) {
  uint64_t old_inode = 0;
  {
    Running running(c, context());
    LineWriter writer(log("a.log"), "old");
    append_to(expected, writer.write(100));
    expect_exactly(running, expected);
    running.sink.ack_all();
    EXPECT_TRUE(wait_until([&] { return committed_offset("a.log") > 0; }));
    running.stop();
    old_inode = inode_of(log("a.log"));
  }
  std::filesystem::remove(log("a.log"));
  if (!create_reusing_inode(log("a.log"), old_inode)) return std::nullopt;
  LineWriter writer(log("a.log"), "new-content");
  return writer.write(100);
}

TEST_P(RotationTest, RenameAndCreateWhileTheWriterKeepsWritingToTheRenamedFile) {
  Running running(config(), context());
  std::vector<std::string> expected;
  LineWriter writer(log("a.log"), "line");
  for (uint64_t rotation = 0; rotation < 4; ++rotation) {
    // A file must be seen under a name `include` matches before it is renamed away: by an
    // event or a scan. Rotations minutes apart always are; here, a condition stands for that.
    ASSERT_TRUE(wait_until([&] { return metric("drover_input_files_opened_total") > rotation; }));
    append_to(expected, writer.write(300));
    std::filesystem::rename(log("a.log"), log("a.log." + std::to_string(rotation)));
    append_to(expected, writer.write(50));  // the writer has not reopened yet
    writer.reopen();
  }
  append_to(expected, writer.write(100));
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, DeletedFileIsReadToItsEndAndAFileReusingItsInodeIsReadWhole) {
  Running running(config(), context());
  std::vector<std::string> expected;
  uint64_t old_inode = 0;
  {
    LineWriter old_writer(log("a.log"), "old");
    append_to(expected, old_writer.write(200));
    ASSERT_TRUE(wait_until([&] { return metric("drover_input_files_opened_total") == 1; }));
    old_inode = inode_of(log("a.log"));
    std::filesystem::remove(log("a.log"));
    append_to(expected, old_writer.write(20));  // into the deleted file, still open
    expect_exactly(running, expected);
    ASSERT_TRUE(
        wait_until([&] { return metric("drover_input_rotated_files_finished_total") == 1; }));
  }  // the last descriptor closes: the inode is free
  if (!create_reusing_inode(log("a.log"), old_inode)) GTEST_SKIP() << "no inode reuse here";
  LineWriter new_writer(log("a.log"), "new");
  append_to(expected, new_writer.write(300));  // more bytes than the old file had
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, AFileReusingTheInodeOfACheckpointedFileIsReadWholeAfterARestart) {
  const auto fresh = checkpoint_then_reuse_inode(config(), {});
  if (HasFailure()) return;  // the first run did not ship or commit
  if (!fresh) GTEST_SKIP() << "no inode reuse here";
  Running running(config(), context());
  expect_exactly(running, *fresh);
  running.stop();
}

// Past max_open_files a file waits for a descriptor; its checkpoint is still verified first.
TEST_P(RotationTest, AReusedInodeIsToldApartEvenPastTheOpenFileCap) {
  auto c = config();
  c.max_open_files = 1;
  testing::append_file(log("0-first.log"), "busy\n");  // takes the only descriptor at start
  const auto fresh = checkpoint_then_reuse_inode(c, {"busy"});
  if (HasFailure()) return;  // the first run did not ship or commit
  if (!fresh) GTEST_SKIP() << "no inode reuse here";
  Running running(c, context());
  expect_exactly(running, *fresh);
  running.stop();
}

TEST_P(RotationTest, FilesWithIdentical4KiBHeadersAreEachReadWhole) {
  const std::string header = [] {
    std::string text;
    while (text.size() < 4096) text += "# the same banner line in every file of this service\n";
    return text;
  }();
  std::vector<std::string> expected;
  const auto add_file = [&](const std::string& name) {
    testing::append_file(log(name), header);
    for (size_t at = 0; at < header.size(); at = header.find('\n', at) + 1) {
      expected.push_back(header.substr(at, header.find('\n', at) - at));
    }
    LineWriter writer(log(name), name);
    append_to(expected, writer.write(10));
  };
  add_file("a.log");
  Running running(config(), context());
  add_file("b.log");
  add_file("c.log");
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, TenByteFilesAreToldApartWhenTheirInodesAreReused) {
  Running running(config(), context());
  std::vector<std::string> expected;
  for (uint64_t round = 0; round < 20; ++round) {
    const std::string line = fmt::format("tiny-{:04}", round);  // 9 bytes + newline
    testing::append_file(log("t.log"), line + "\n");
    expected.push_back(line);
    ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == expected.size(); }));
    std::filesystem::remove(log("t.log"));
    ASSERT_TRUE(wait_until(
        [&] { return metric("drover_input_rotated_files_finished_total") == round + 1U; }));
  }
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, SymlinkSwappedToANewTarget) {
  std::filesystem::create_directories(dir / "targets");
  auto c = config();
  c.include = {log("current.log").string()};
  LineWriter first(dir / "targets" / "one.log", "one");
  std::filesystem::create_symlink(dir / "targets" / "one.log", log("current.log"));
  std::vector<std::string> expected = first.write(100);
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 100; }));
  append_to(expected, first.write(50));
  LineWriter second(dir / "targets" / "two.log", "two");
  std::filesystem::create_symlink(dir / "targets" / "two.log", log("next.link"));
  std::filesystem::rename(log("next.link"), log("current.log"));  // atomic swap, as ln -sfn
  append_to(expected, first.write(20));  // the old target is still written for a moment
  append_to(expected, second.write(100));
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, RotationWhileStoppedFinishesTheRenamedFileThenReadsTheNewOne) {
  LineWriter writer(log("a.log"), "line");
  {
    Running running(config(), context());
    expect_exactly(running, writer.write(100));
    running.sink.ack_all();
    ASSERT_TRUE(wait_until([&] { return committed_offset("a.log") > 0; }));
    running.stop();
  }
  std::vector<std::string> expected = writer.write(40);  // unread when drover stopped
  std::filesystem::rename(log("a.log"), log("a.log.1"));
  append_to(expected, writer.write(10));
  writer.reopen();
  append_to(expected, writer.write(60));
  Running running(config(), context());
  expect_exactly(running, expected);
  running.stop();
}

TEST_P(RotationTest, TruncatedInTheMiddleOfALineShipsThePartThenTheNewContent) {
  auto c = config();
  c.partial_line_timeout = std::chrono::hours(1);  // only the truncation may ship the part
  Running running(c, context());
  testing::append_file(log("a.log"), "alpha\nbeta\nhalf a li");
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 2; }));
  ::truncate(log("a.log").c_str(), 0);
  testing::append_file(log("a.log"), "after\n");
  expect_exactly(running, {"alpha", "beta", "half a li", "after"});
  EXPECT_EQ(metric("drover_input_files_rewritten_total"), 1U);
  running.stop();
}

// copytruncate while what was read is not acknowledged yet (the brokers are down): those lines
// now live only in the copy, so the copy's checkpoint must stay behind them. Stopping without
// an ack, as a crash does, then reads them again from the copy instead of losing them.
TEST_P(RotationTest, ACopysCheckpointWaitsForTheAcksItsOriginalWasStillDue) {
  auto c = config();
  c.include = {log("a.log*").string()};
  LineWriter writer(log("a.log"), "old");
  const std::vector<std::string> old_lines = writer.write(100);
  std::vector<std::string> expected = old_lines;
  {
    Running running(c, context());
    expect_exactly(running, expected);  // shipped, never acknowledged
    std::filesystem::copy_file(log("a.log"), log("a.log.1"));
    ::truncate(log("a.log").c_str(), 0);
    append_to(expected, writer.write(10));
    expect_exactly(running, expected);
    ASSERT_TRUE(wait_until(
        [&] { return testing::checkpoint_of(dir / "data", "app", log("a.log.1")).has_value(); }));
    EXPECT_EQ(committed_offset("a.log.1"), 0U);
    running.stop();
  }
  Running running(c, context());
  expect_exactly(running, expected);
  running.stop();
}

class CopytruncateTest : public FileInputTest,
                         public ::testing::WithParamInterface<std::chrono::milliseconds> {};

INSTANTIATE_TEST_SUITE_P(Gap, CopytruncateTest,
                         ::testing::Values(std::chrono::milliseconds(0),
                                           std::chrono::milliseconds(1000),
                                           std::chrono::milliseconds(2000)),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param.count()) + "ms";
                         });

// logrotate's copytruncate: copy the file, then cut it to 0 while the writer keeps appending.
// Lines not read before the cut are in the copy; the copy matches `include`, so drover reads
// it from where it had read the original, and nothing twice.
TEST_P(CopytruncateTest, EveryLineOnceWhateverTheGapBetweenCopyAndTruncate) {
  auto c = config();
  c.include = {(dir / "logs" / "a.log*").string()};
  c.rotate_wait = std::chrono::seconds(3);  // how long a copy may wait for the truncation
  Running running(c, context());
  LineWriter writer(dir / "logs" / "a.log", "line");
  std::vector<std::string> expected;
  for (int rotation = 0; rotation < 2; ++rotation) {
    append_to(expected, writer.write(500));
    std::filesystem::copy_file(dir / "logs" / "a.log",
                               dir / "logs" / ("a.log." + std::to_string(rotation)));
    if (GetParam().count() > 0) {
      append_to(expected, writer.write(20));  // after the copy: only in the original
      // The scenario's gap, not a wait for drover: the truncation comes when it comes.
      std::this_thread::sleep_for(GetParam());
    }
    ::truncate((dir / "logs" / "a.log").c_str(), 0);
    append_to(expected, writer.write(300));
  }
  expect_exactly(running, expected);
  running.stop();
}

}  // namespace
}  // namespace drover::inputs
