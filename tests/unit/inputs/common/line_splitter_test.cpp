#include "inputs/common/line_splitter.h"

#include <gtest/gtest.h>

#include <vector>

namespace drover::inputs {
namespace {

struct Collected {
  std::string text;
  uint64_t offset;
  uint64_t end_offset;
  bool truncated;
  bool operator==(const Collected&) const = default;
};

std::vector<Collected> feed_all(LineSplitter& splitter, const std::vector<std::string>& pieces) {
  std::vector<Collected> lines;
  for (const auto& piece : pieces) {
    splitter.feed(piece, [&](const Line& line) {
      lines.push_back({std::string(line.text), line.offset, line.end_offset, line.truncated});
    });
  }
  return lines;
}

TEST(LineSplitterTest, SplitsCompleteLinesWithOffsets) {
  LineSplitter splitter(0, 1024);
  const auto lines = feed_all(splitter, {"one\ntwo\n"});
  EXPECT_EQ(lines, (std::vector<Collected>{{"one", 0, 4, false}, {"two", 4, 8, false}}));
  EXPECT_FALSE(splitter.has_partial_line());
  EXPECT_EQ(splitter.line_start(), 8U);
}

TEST(LineSplitterTest, PartialLineWaitsForItsNewlineAcrossReads) {
  LineSplitter splitter(100, 1024);
  auto lines = feed_all(splitter, {"par", "tial"});
  EXPECT_TRUE(lines.empty());
  EXPECT_TRUE(splitter.has_partial_line());
  EXPECT_EQ(splitter.line_start(), 100U);
  lines = feed_all(splitter, {" line\nnext"});
  EXPECT_EQ(lines, (std::vector<Collected>{{"partial line", 100, 113, false}}));
  EXPECT_EQ(splitter.line_start(), 113U);
  EXPECT_EQ(splitter.offset(), 117U);
}

TEST(LineSplitterTest, StripsCarriageReturnOfCrlf) {
  LineSplitter splitter(0, 1024);
  const auto lines = feed_all(splitter, {"dos\r\nline\r", "\n"});
  EXPECT_EQ(lines, (std::vector<Collected>{{"dos", 0, 5, false}, {"line", 5, 11, false}}));
}

TEST(LineSplitterTest, KeepsEmptyLines) {
  LineSplitter splitter(0, 1024);
  const auto lines = feed_all(splitter, {"\n\nx\n"});
  EXPECT_EQ(lines,
            (std::vector<Collected>{{"", 0, 1, false}, {"", 1, 2, false}, {"x", 2, 4, false}}));
}

TEST(LineSplitterTest, TruncatesLongLineInOneReadAndResumesAfterItsNewline) {
  LineSplitter splitter(0, 4);
  const auto lines = feed_all(splitter, {"abcdefgh\nok\n"});
  EXPECT_EQ(lines, (std::vector<Collected>{{"abcd", 0, 9, true}, {"ok", 9, 12, false}}));
}

TEST(LineSplitterTest, TruncatesLongLineSpreadOverManyReadsWithBoundedMemory) {
  LineSplitter splitter(0, 8);
  std::vector<std::string> pieces(1000, std::string(100, 'z'));  // 100,000 bytes, no newline
  pieces.push_back("tail\nnext\n");
  const auto lines = feed_all(splitter, pieces);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], (Collected{"zzzzzzzz", 0, 100'005, true}));
  EXPECT_EQ(lines[1], (Collected{"next", 100'005, 100'010, false}));
}

TEST(LineSplitterTest, FlushEmitsAnUnfinishedLastLine) {
  LineSplitter splitter(0, 1024);
  auto lines = feed_all(splitter, {"done\nhalf"});
  ASSERT_EQ(lines.size(), 1U);
  splitter.flush([&](const Line& line) {
    lines.push_back({std::string(line.text), line.offset, line.end_offset, line.truncated});
  });
  EXPECT_EQ(lines.back(), (Collected{"half", 5, 9, false}));
  EXPECT_FALSE(splitter.has_partial_line());
}

}  // namespace
}  // namespace drover::inputs
