#include "agent/queue/disk_queue.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sys/resource.h>

namespace drover {
namespace {

using testing::TempDir;

std::shared_ptr<Batch> batch_of(int n) {
  auto source = std::make_shared<SourceInfo>(SourceInfo{"app", "host", "/var/log/app.log"});
  auto batch = std::make_shared<Batch>(source, 1000 + n);
  batch->add_record(fmt::format("batch {:05} {}", n, std::string(100, 'x')),
                    static_cast<uint64_t>(n) * 200);
  return batch;
}

int number_of(const Batch& batch) { return std::stoi(std::string(batch.record(0).substr(6, 5))); }

class DiskQueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<DiskQueue> open(RecoveryReport* report = nullptr) {
    auto queue = DiskQueue::open({dir.path(), 1 << 20, 1000}, report);  // ~7 batches a segment
    EXPECT_TRUE(queue.has_value()) << queue.error().message;
    return std::move(*queue);
  }
  /// Appends batches first..last-1 and syncs.
  static void append(DiskQueue& queue, int first, int last) {
    for (int n = first; n < last; ++n) ASSERT_TRUE(queue.append(*batch_of(n)).has_value());
    ASSERT_TRUE(queue.sync());
  }
  /// Reads everything unread; returns the batch numbers in order and their frame ids.
  static std::vector<int> read_all(DiskQueue& queue, std::vector<FrameId>* ids = nullptr) {
    std::vector<int> numbers;
    while (auto entry = queue.next()) {
      numbers.push_back(number_of(*entry->batch));
      if (ids != nullptr) ids->push_back(entry->id);
    }
    return numbers;
  }
  static std::vector<int> range(int first, int last) {
    std::vector<int> v;
    for (int n = first; n < last; ++n) v.push_back(n);
    return v;
  }
  size_t segment_files() const {
    size_t count = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      count += segment_id_of(e.path()) >= 0 ? 1U : 0U;
    return count;
  }

  TempDir dir;
};

TEST_F(DiskQueueTest, ReadsBackInOrderAndDeletesSegmentsOnceAcknowledged) {
  auto queue = open();
  append(*queue, 0, 40);
  EXPECT_GT(segment_files(), 4U);
  std::vector<FrameId> ids;
  EXPECT_EQ(read_all(*queue, &ids), range(0, 40));
  // Acknowledged out of order, as deliveries to different partitions are.
  for (size_t i = ids.size(); i-- > 0;) queue->acknowledge(ids[i]);
  EXPECT_LE(segment_files(), 1U) << "only the segment still open for writing may stay";
  EXPECT_EQ(queue->unacknowledged_frames(), 0U);
}

TEST_F(DiskQueueTest, RestartReplaysExactlyWhatWasNotAcknowledged) {
  {
    auto queue = open();
    append(*queue, 0, 30);
    std::vector<FrameId> ids;
    read_all(*queue, &ids);
    for (size_t i = 0; i < 12; ++i) queue->acknowledge(ids[i]);
    queue->acknowledge(ids[20]);  // one beyond the contiguous part
  }                               // closing saves the state
  RecoveryReport report;
  auto queue = open(&report);
  EXPECT_EQ(report.pending_frames, 17U);
  EXPECT_TRUE(report.damage.empty());
  std::vector<int> expected = range(12, 30);
  std::erase(expected, 20);
  EXPECT_EQ(read_all(*queue), expected);
  append(*queue, 30, 32);  // goes behind, in a new segment
  EXPECT_EQ(read_all(*queue), range(30, 32));
}

TEST_F(DiskQueueTest, SegmentsWrittenAfterTheQueueDrainedCompletelySurviveTheNextStart) {
  {
    auto queue = open();
    append(*queue, 0, 10);
    std::vector<FrameId> ids;
    read_all(*queue, &ids);
    for (const auto& id : ids) queue->acknowledge(id);
    ASSERT_EQ(segment_files(), 0U);
  }
  const auto crashed = dir / "crashed";
  {
    auto queue = open();  // no segment left: only state.json remembers where ids were
    append(*queue, 10, 15);
    // SIGKILL now: the directory as it is, before the queue could save anything more.
    std::filesystem::copy(dir.path(), crashed);
  }
  auto queue = DiskQueue::open({crashed, 1 << 20, 1000});
  ASSERT_TRUE(queue.has_value());
  EXPECT_EQ(read_all(**queue), range(10, 15)) << "new segments must not look like old ones";
}

TEST_F(DiskQueueTest, SegmentLeftBehindByACrashAfterItsDeletionWasRecordedIsNotReplayed) {
  std::string first_segment;
  {
    auto queue = open();
    append(*queue, 0, 20);
    first_segment = testing::read_file(segment_path(dir.path(), kFirstSegmentId));
    std::vector<FrameId> ids;
    read_all(*queue, &ids);
    for (const auto& id : ids)
      if (id.segment == kFirstSegmentId) queue->acknowledge(id);
  }
  ASSERT_FALSE(std::filesystem::exists(segment_path(dir.path(), kFirstSegmentId)));
  // The crash came between saving the state and removing the file.
  testing::write_file(segment_path(dir.path(), kFirstSegmentId), first_segment);
  RecoveryReport report;
  auto queue = open(&report);
  EXPECT_EQ(report.stale_segments_removed, 1U);
  const auto replayed = read_all(*queue);
  ASSERT_FALSE(replayed.empty());
  EXPECT_GT(replayed.front(), 0) << "nothing of the deleted segment comes back";
  EXPECT_EQ(replayed.back(), 19);
}

TEST_F(DiskQueueTest, MissingStateReplaysEverythingAndSaysSo) {
  {
    auto queue = open();
    append(*queue, 0, 10);
    std::vector<FrameId> ids;
    read_all(*queue, &ids);
    queue->acknowledge(ids[0]);
  }
  std::filesystem::remove(dir / "state.json");
  RecoveryReport report;
  auto queue = open(&report);
  EXPECT_NE(report.state_problem.find("state.json is missing"), std::string::npos);
  EXPECT_EQ(read_all(*queue), range(0, 10)) << "duplicates rather than loss";
}

TEST_F(DiskQueueTest, CorruptFrameIsSkippedAndReportedExactly) {
  {
    auto queue = open();
    append(*queue, 0, 5);  // all in segment 1
  }
  const auto file = segment_path(dir.path(), kFirstSegmentId);
  auto scan = scan_segment(file);
  ASSERT_TRUE(scan.has_value());
  ASSERT_EQ(scan->frames.size(), 5U);
  std::string bytes = testing::read_file(file);
  bytes[scan->frames[2].offset + 40] ^= 0x10;
  testing::write_file(file, bytes);

  RecoveryReport report;
  auto queue = open(&report);
  ASSERT_EQ(report.damage.size(), 1U);
  EXPECT_FALSE(report.damage[0].torn_tail);
  EXPECT_EQ(report.damage[0].range.begin, scan->frames[2].offset);
  EXPECT_EQ(report.lost_bytes, kFrameHeaderBytes + scan->frames[2].length);
  std::vector<FrameId> ids;
  EXPECT_EQ(read_all(*queue, &ids), (std::vector<int>{0, 1, 3, 4}));
  queue->acknowledge(ids[0]);
  queue.reset();

  // The segment was rewritten without the damage: the loss is reported once, and what was
  // acknowledged stays acknowledged although the frames moved.
  RecoveryReport again;
  queue = open(&again);
  EXPECT_TRUE(again.damage.empty());
  EXPECT_EQ(read_all(*queue), (std::vector<int>{1, 3, 4}));
}

TEST_F(DiskQueueTest, TornTailIsCutOnceAndTheRestKept) {
  {
    auto queue = open();
    append(*queue, 0, 5);
  }
  const auto file = segment_path(dir.path(), kFirstSegmentId);
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size - 7);
  RecoveryReport report;
  auto queue = open(&report);
  ASSERT_EQ(report.damage.size(), 1U);
  EXPECT_TRUE(report.damage[0].torn_tail);
  EXPECT_EQ(report.lost_bytes, 0U) << "a torn write was never acknowledged";
  EXPECT_EQ(read_all(*queue), range(0, 4));
  EXPECT_LT(std::filesystem::file_size(file), size - 7) << "the torn frame is cut off";
}

TEST_F(DiskQueueTest, SegmentWithADamagedHeaderIsSetAsideAndTheOthersServed) {
  {
    auto queue = open();
    append(*queue, 0, 20);
  }
  const auto file = segment_path(dir.path(), kFirstSegmentId);
  std::string bytes = testing::read_file(file);
  bytes[0] = 'X';
  testing::write_file(file, bytes);
  RecoveryReport report;
  auto queue = open(&report);
  EXPECT_TRUE(std::filesystem::exists(file.string() + ".corrupt"));
  ASSERT_FALSE(report.damage.empty());
  EXPECT_GT(report.lost_bytes, 0U);
  const auto replayed = read_all(*queue);
  ASSERT_FALSE(replayed.empty());
  EXPECT_EQ(replayed.back(), 19);
  append(*queue, 20, 25);
  queue.reset();
  RecoveryReport next_start;
  queue = open(&next_start);
  EXPECT_TRUE(next_start.missing_segments.empty())
      << "the loss was reported when the segment was set aside; it is not a gap after that";
}

// SIGKILL between creating a segment file and writing its header leaves a file shorter than a
// header, after segments still queued: a false "LOST segment" report once it had been set aside.
TEST_F(DiskQueueTest, SegmentCutShortInItsHeaderIsRemovedAndLeavesNoGap) {
  {
    auto queue = open();
    append(*queue, 0, 20);
  }
  const uint64_t last = kFirstSegmentId + segment_files() - 1;
  const auto cut = segment_path(dir.path(), last + 1);
  testing::write_file(cut, "DRVQSEG");
  {
    RecoveryReport report;
    auto queue = open(&report);
    ASSERT_EQ(report.damage.size(), 1U);
    EXPECT_TRUE(report.damage[0].torn_tail);
    EXPECT_EQ(report.lost_bytes, 0U);
    EXPECT_FALSE(std::filesystem::exists(cut));
    EXPECT_FALSE(std::filesystem::exists(cut.string() + ".corrupt"));
    append(*queue, 20, 25);
  }
  RecoveryReport report;
  auto queue = open(&report);
  EXPECT_TRUE(report.missing_segments.empty());
  EXPECT_TRUE(report.damage.empty());
  EXPECT_EQ(read_all(*queue), range(0, 25));
}

TEST_F(DiskQueueTest, DeletedSegmentIsReportedAndTheOthersServed) {
  {
    auto queue = open();
    append(*queue, 0, 30);
  }
  ASSERT_GE(segment_files(), 3U);
  std::filesystem::remove(segment_path(dir.path(), kFirstSegmentId + 1));
  RecoveryReport report;
  auto queue = open(&report);
  ASSERT_EQ(report.missing_segments.size(), 1U);
  EXPECT_EQ(report.missing_segments[0],
            (std::pair<uint64_t, uint64_t>{kFirstSegmentId + 1, kFirstSegmentId + 1}));
  const auto replayed = read_all(*queue);
  ASSERT_FALSE(replayed.empty());
  EXPECT_EQ(replayed.front(), 0);
  EXPECT_EQ(replayed.back(), 29);
  EXPECT_LT(replayed.size(), 30U);
}

TEST_F(DiskQueueTest, FullDiskFailsTheAppendAndLeavesNoHalfFrame) {
  auto queue = open();
  append(*queue, 0, 2);
  const auto file = segment_path(dir.path(), kFirstSegmentId);
  const auto size = std::filesystem::file_size(file);
  // A file-size limit a few bytes past the end: the next frame fits only in part.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  rlimit limited = old;
  limited.rlim_cur = size + 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const auto failed = queue->append(*batch_of(2));
  ::setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("cannot write"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(std::filesystem::file_size(file), size);
  // Space is back: the queue goes on as if nothing happened.
  append(*queue, 2, 4);
  EXPECT_EQ(read_all(*queue), range(0, 4));
  EXPECT_TRUE(scan_segment(file)->damaged.empty());
}

TEST_F(DiskQueueTest, RoomIsBoundedByMaxBytes) {
  auto queue = DiskQueue::open({dir.path(), 2000, 1000});
  ASSERT_TRUE(queue.has_value());
  int appended = 0;
  while ((*queue)->has_room(200)) {
    ASSERT_TRUE((*queue)->append(*batch_of(appended)).has_value());
    ++appended;
  }
  EXPECT_GT(appended, 5);
  EXPECT_LE((*queue)->bytes(), 2000U);
}

}  // namespace
}  // namespace drover
