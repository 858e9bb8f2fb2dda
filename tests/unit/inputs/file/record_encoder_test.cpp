#include "inputs/file/record_encoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace drover::inputs {
namespace {

TEST(RecordEncoderTest, JsonEnvelopeHasEveryFieldAndParses) {
  SourceInfo source{"app", "web-1", "/var/log/app \"x\".log"};
  RecordEncoder encoder(Codec::kJson, source);
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const std::string text = "GET /a?q=\"1\" \\ done\x01";
  encoder.encode(batch, Line{text, 4096, 4200, true}, "2026-11-23T09:56:56.123Z");
  ASSERT_EQ(batch.record_count(), 1U);
  EXPECT_EQ(batch.position(0), 4096U);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(batch.record(0))).get(doc), simdjson::SUCCESS)
      << batch.record(0);
  EXPECT_EQ(std::string_view(doc["@timestamp"]), "2026-11-23T09:56:56.123Z");
  EXPECT_EQ(std::string_view(doc["host"]), "web-1");
  EXPECT_EQ(std::string_view(doc["input"]), "app");
  EXPECT_EQ(std::string_view(doc["path"]), source.path);
  EXPECT_EQ(uint64_t(doc["offset"]), 4096U);
  EXPECT_EQ(std::string_view(doc["message"]), text);
  EXPECT_TRUE(bool(doc["truncated"]));
}

TEST(RecordEncoderTest, RawCodecKeepsTheLineBytes) {
  SourceInfo source{"app", "h", "/p"};
  RecordEncoder encoder(Codec::kRaw, source, InvalidUtf8::kKeep);
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  encoder.encode(batch, Line{"plain \xff line", 0, 13, false}, "ts");
  encoder.encode(batch, Line{"", 13, 14, false}, "ts");
  ASSERT_EQ(batch.record_count(), 2U);
  EXPECT_EQ(batch.record(0), "plain \xff line");
  EXPECT_EQ(batch.record(1), "");
  EXPECT_EQ(batch.position(1), 13U);
}

TEST(RecordEncoderTest, RawCodecCanReplaceInvalidUtf8) {
  SourceInfo source{"app", "h", "/p"};
  RecordEncoder encoder(Codec::kRaw, source, InvalidUtf8::kReplace);
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  EXPECT_EQ(encoder.encode(batch, Line{"caf\xc3\xa9 \xff\xfe ok \xe2\x82", 0, 14, false}, "ts"),
            4U);
  EXPECT_EQ(batch.record(0), "caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(RecordEncoderTest, FormatsTimestampsInUtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1795427816123), "2026-11-23T09:56:56.123Z");
}

}  // namespace
}  // namespace drover::inputs
