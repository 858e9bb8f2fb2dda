#include "agent/startup_progress.h"

#include "agent/queue/disk_queue.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using namespace std::chrono_literals;

TEST(StartupProgressTest, ARunningTaskSaysHowFarItIsAndEndingItMakesDroverReady) {
  StartupProgress progress;
  EXPECT_TRUE(progress.wait_done(std::chrono::steady_clock::now()));
  {
    StartupProgress::Task task = progress.begin("recovering the disk queue of kafka", "MiB", 2048);
    task.update(512);
    ASSERT_EQ(progress.running().size(), 1U);
    const std::string line = progress.running()[0];
    EXPECT_TRUE(line.starts_with("recovering the disk queue of kafka: 512 of 2048 MiB (25%), "))
        << line;
    EXPECT_TRUE(line.ends_with(" MiB/s")) << line;
    EXPECT_FALSE(progress.wait_done(std::chrono::steady_clock::now() + 10ms));
  }
  EXPECT_TRUE(progress.running().empty());
  EXPECT_TRUE(progress.wait_done(std::chrono::steady_clock::now()));
}

TEST(StartupProgressTest, ProgressLinesAreLoggedAtMostOncePerInterval) {
  std::vector<std::string> lines;
  StartupProgress every_time(0ms);
  every_time.on_line([&](const std::string& line) { lines.push_back(line); });
  {
    StartupProgress::Task task = every_time.begin("input app: opening files", "files");
    task.set_total(10'000);
    task.update(2'500);
    task.update(5'000);
  }
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_TRUE(lines[1].starts_with("input app: opening files: 5000 of 10000 files (50%)"))
      << lines[1];

  lines.clear();
  StartupProgress hourly(std::chrono::hours(1));
  hourly.on_line([&](const std::string& line) { lines.push_back(line); });
  StartupProgress::Task task = hourly.begin("input app: opening files", "files", 10);
  for (uint64_t i = 0; i < 10; ++i) task.update(i);
  EXPECT_TRUE(lines.empty());
}

TEST(StartupProgressTest, RecoveringADiskQueueIsATaskUntilTheQueueIsOpen) {
  testing::TempDir dir;
  std::vector<std::string> lines;
  StartupProgress progress(0ms);
  progress.on_line([&](const std::string& line) { lines.push_back(line); });
  {
    auto queue = DiskQueue::open({dir / "queue", 64 << 20, 1 << 20});
    ASSERT_TRUE(queue.has_value());
    Batch batch(std::make_shared<SourceInfo>(), 0);
    batch.add_record(std::string(3 << 20, 'x'));  // 3 MiB over several segments
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*queue)->append(batch).has_value());
    ASSERT_TRUE((*queue)->sync());
  }
  auto reopened = DiskQueue::open({dir / "queue", 64 << 20, 1 << 20}, nullptr, &progress);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_TRUE(progress.running().empty());
  ASSERT_FALSE(lines.empty());
  const std::string expected =
      "recovering the disk queue " + (dir / "queue").string() + ": 9 of 9 MiB (100%)";
  EXPECT_NE(lines.back().find(expected), std::string::npos) << lines.back();
}

}  // namespace
}  // namespace drover
