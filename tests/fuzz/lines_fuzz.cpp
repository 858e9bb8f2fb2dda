// A file's bytes as the file input reads them: in reads of any size, cut into lines by the
// LineSplitter, then joined into records by the MultilineJoiner. The first bytes pick the line
// limit, the read size and the multiline settings. Checks what positions rely on (I1): lines
// and records tile the file without gap or overlap, and an uncut line is exactly its bytes.
#include "inputs/common/line_splitter.h"
#include "inputs/common/multiline.h"
#include "tests/fuzz/fuzz_input.h"

#include <cstdint>
#include <memory>
#include <optional>

using namespace drover;
using namespace drover::inputs;

namespace {

constexpr size_t kSettingsBytes = 4;

std::shared_ptr<const RE2> compiled(const std::string& pattern) {
  auto re = std::make_shared<const RE2>(pattern);
  if (!re->ok()) fuzz::fail("a built-in pattern does not compile");
  return re;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kSettingsBytes) return 0;
  const size_t max_line_bytes = 1 + data[0] % 64;
  const size_t read_bytes = 1 + data[1] % 32;
  const uint8_t mode = data[2] % 3;  // 0: lines only, 1: start pattern, 2: continuation pattern
  const std::string_view file(reinterpret_cast<const char*>(data) + kSettingsBytes,
                              size - kSettingsBytes);
  const uint64_t start = data[3];  // where reading began in the file

  static const auto start_pattern = compiled(R"(^\d{4}-\d{2}-\d{2})");
  static const auto continuation_pattern = compiled(R"(^(\s|Caused by:))");
  MultilineConfig multiline;
  multiline.max_lines = 1 + data[3] % 8;
  multiline.max_bytes = 1 + data[0] % 128;
  if (mode == 1) multiline.start_pattern = start_pattern->pattern();
  if (mode == 2) multiline.continuation_pattern = continuation_pattern->pattern();
  std::optional<MultilineJoiner> joiner;
  if (mode != 0) joiner.emplace(multiline, mode == 1 ? start_pattern : continuation_pattern);

  uint64_t next_line = start;
  uint64_t next_record = start;
  const auto on_record = [&](const Line& record) {
    if (record.offset != next_record) fuzz::fail("records do not tile the file");
    if (record.end_offset <= record.offset) fuzz::fail("an empty or backward record");
    if (record.text.size() > multiline.max_bytes) fuzz::fail("a record over max_bytes");
    next_record = record.end_offset;
  };
  const auto on_line = [&](const Line& line) {
    if (line.offset != next_line) fuzz::fail("lines do not tile the file");
    if (line.end_offset <= line.offset) fuzz::fail("an empty or backward line");
    if (line.text.size() > max_line_bytes) fuzz::fail("a line over max_line_bytes");
    const std::string_view bytes = file.substr(
        line.offset - start,
        std::min<uint64_t>(line.end_offset - line.offset, file.size() - (line.offset - start)));
    if (!line.truncated && bytes.substr(0, line.text.size()) != line.text) {
      fuzz::fail("an uncut line is not its file's bytes");
    }
    next_line = line.end_offset;
    if (joiner) {
      joiner->add(line, on_record);
    } else {
      on_record(line);
    }
  };

  LineSplitter splitter(start, max_line_bytes);
  for (size_t at = 0; at < file.size(); at += read_bytes) {
    splitter.feed(file.substr(at, read_bytes), on_line);
    if (splitter.offset() != start + std::min(at + read_bytes, file.size())) {
      fuzz::fail("the splitter lost count of the bytes fed");
    }
    if (splitter.line_start() != next_line) fuzz::fail("line_start is not past the last line");
  }
  splitter.flush(on_line);
  if (joiner) joiner->flush(on_record);
  if (next_line != start + file.size() || next_record != next_line) {
    fuzz::fail("the last line or record does not end at the end of the file");
  }
  return 0;
}
