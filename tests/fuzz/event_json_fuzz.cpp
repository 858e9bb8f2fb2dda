// One line (or joined record) read as a JSON event: validated by simdjson, its time and key
// lifted, and wrapped in drover's envelope. The first byte picks the parser's settings. Whatever
// the line, the JSON codec writes exactly one valid JSON object for it.
#include "inputs/common/json_line.h"
#include "inputs/common/record_encoder.h"
#include "tests/fuzz/fuzz_input.h"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <memory>

using namespace drover;
using namespace drover::inputs;

namespace {

constexpr std::array<TimestampFormat, 6> kFormats = {
    TimestampFormat::kAuto,       TimestampFormat::kRfc3339,    TimestampFormat::kUnixSeconds,
    TimestampFormat::kUnixMillis, TimestampFormat::kUnixMicros, TimestampFormat::kUnixNanos};
constexpr std::array<const char*, 4> kFields = {"", "time", "a.b", "@timestamp"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t settings = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  static const SourceInfo source{"app", "fuzz-host", "/var/log/app \"x\".log"};
  const bool with_origin = (settings & 0x40) != 0;
  const RecordEncoder encoder(Codec::kJson, source, InvalidUtf8::kReplace, with_origin);
  JsonLineParser parser(JsonParserConfig{kFields[settings & 3],
                                         kFormats[((settings >> 2) & 7) % kFormats.size()],
                                         kFields[(settings >> 5) & 1 ? 2 : 1]});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const Line line{text, 7, 7 + text.size() + 1, (settings & 0x80) != 0};
  encoder.encode(batch, line, "2026-12-07T00:00:00.000Z", &parser);
  if (batch.record_count() != 1) fuzz::fail("a line did not give exactly one record");

  static simdjson::dom::parser check;
  simdjson::dom::element record;
  if (check.parse(batch.record(0)).get(record) != simdjson::SUCCESS || !record.is_object()) {
    fuzz::fail("the encoded record is not a valid JSON object");
  }
  return 0;
}
