#include "inputs/common/multiline.h"

#include "tests/unit/inputs/file/file_input_fixture.h"

#include <gtest/gtest.h>

namespace drover::inputs {
namespace {

using testing::wait_until;

struct Joined {
  std::string text;
  uint64_t offset;
  uint64_t end_offset;
  bool truncated;
  bool operator==(const Joined&) const = default;
};

class MultilineJoinerTest : public ::testing::Test {
 protected:
  std::vector<Joined> join(const std::vector<std::string>& lines) {
    auto pattern = std::make_shared<const RE2>(
        config.start_pattern.empty() ? config.continuation_pattern : config.start_pattern);
    MultilineJoiner joiner(config, pattern);
    std::vector<Joined> out;
    const auto keep = [&](const Line& r) {
      out.push_back({std::string(r.text), r.offset, r.end_offset, r.truncated});
    };
    uint64_t offset = 0;
    for (const auto& text : lines) {
      joiner.add(Line{text, offset, offset + text.size() + 1, false}, keep);
      offset += text.size() + 1;
    }
    joiner.flush(keep);
    dropped = joiner.dropped_lines();
    return out;
  }
  MultilineConfig config;
  uint64_t dropped = 0;
};

TEST_F(MultilineJoinerTest, AStartPatternBeginsEachRecord) {
  config.start_pattern = R"(^\d{4}-\d{2}-\d{2} )";
  const auto records = join({"2026-11-23 ERROR boom", "java.lang.IllegalStateException: x",
                             "\tat a.b(C.java:1)", "2026-11-23 INFO fine"});
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0], (Joined{"2026-11-23 ERROR boom\njava.lang.IllegalStateException: x\n"
                                "\tat a.b(C.java:1)",
                                0, 75, false}));
  EXPECT_EQ(records[1], (Joined{"2026-11-23 INFO fine", 75, 96, false}));
}

TEST_F(MultilineJoinerTest, AContinuationPatternJoinsToTheLineBefore) {
  config.continuation_pattern = R"(^\s)";
  const auto records = join({"first", "  more", "second", "third", "\tmore"});
  ASSERT_EQ(records.size(), 3U);
  EXPECT_EQ(records[0].text, "first\n  more");
  EXPECT_EQ(records[1].text, "second");
  EXPECT_EQ(records[2].text, "third\n\tmore");
}

TEST_F(MultilineJoinerTest, LinesBeyondMaxLinesAreDroppedAndTheRecordFlagged) {
  config.continuation_pattern = R"(^\s)";
  config.max_lines = 3;
  const auto records = join({"head", " 1", " 2", " 3", " 4", "next"});
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].text, "head\n 1\n 2");
  EXPECT_TRUE(records[0].truncated);
  EXPECT_EQ(records[0].end_offset, 17U);  // the dropped lines are behind it: never read again
  EXPECT_EQ(dropped, 2U);
  EXPECT_FALSE(records[1].truncated);
}

TEST_F(MultilineJoinerTest, BytesBeyondMaxBytesAreDroppedAndTheRecordFlagged) {
  config.continuation_pattern = R"(^\s)";
  config.max_bytes = 16;
  const auto records = join({"0123456789", " abcdefghijk", "next"});
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].text, "0123456789");
  EXPECT_TRUE(records[0].truncated);
}

class MultilineInputTest : public FileInputTest {
 protected:
  FileInputConfig joining(std::chrono::milliseconds flush_timeout) const {
    FileInputConfig c = config();
    MultilineConfig multiline;
    multiline.start_pattern = R"(^\[)";
    multiline.flush_timeout = flush_timeout;
    c.multiline = multiline;
    return c;
  }
};

TEST_F(MultilineInputTest, StackTracesArriveAsOneRecordAndTheLastIsFlushedAfterTheTimeout) {
  const auto c = joining(std::chrono::milliseconds(100));
  testing::append_file(dir / "logs" / "a.log",
                       "[1] ok\n[2] failed\nTraceback:\n  File x\n[3] last\n  detail\n");
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 3; }));
  running.sink.ack_all();
  // Only what was shipped is committed: the last record waited for the timeout.
  ASSERT_TRUE(wait_until([&] { return committed_offset("a.log") == 56; }));
  running.stop();
  EXPECT_EQ(running.sink.records(),
            (std::vector<std::string>{"[1] ok", "[2] failed\nTraceback:\n  File x",
                                      "[3] last\n  detail"}));
}

TEST_F(MultilineInputTest, ARestartBeforeARecordIsShippedReadsItWholeAgain) {
  const auto c = joining(std::chrono::hours(1));
  testing::append_file(dir / "logs" / "a.log", "[1] one\n[2] two\n  more\n");
  {
    Running running(c, context());
    ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 1; }));
    running.sink.ack_all();
    ASSERT_TRUE(wait_until([&] { return committed_offset("a.log") == 8; }));
    running.stop();
  }
  testing::append_file(dir / "logs" / "a.log", "  still more\n[3] three\n");
  Running running(c, context());
  ASSERT_TRUE(wait_until([&] { return running.sink.records().size() == 1; }));
  running.stop();
  EXPECT_EQ(running.sink.records(), std::vector<std::string>{"[2] two\n  more\n  still more"});
}

}  // namespace
}  // namespace drover::inputs
