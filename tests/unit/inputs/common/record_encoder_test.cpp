#include "inputs/common/record_encoder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <ctime>

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
  EXPECT_EQ(encoder.encode(batch, Line{"caf\xc3\xa9 \xff\xfe ok \xe2\x82", 0, 14, false}, "ts")
                .replaced_utf8_bytes,
            4U);
  EXPECT_EQ(batch.record(0), "caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD\xEF\xBF\xBD");
}

simdjson::dom::element parse_record(simdjson::dom::parser& parser, std::string_view record) {
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(std::string(record)).get(doc), simdjson::SUCCESS) << record;
  return doc;
}

TEST(RecordEncoderTest, JsonLineKeepsItsMembersAndGainsTheEnvelope) {
  SourceInfo source{"app", "web-1", "/var/log/app.log"};
  RecordEncoder encoder(Codec::kJson, source);
  JsonLineParser json({"ts", TimestampFormat::kAuto, "user"});
  Batch batch(std::make_shared<SourceInfo>(source), 7);
  const std::string line = R"( {"ts":"2026-11-23T09:56:56.123Z","user":"u1","n":[1,{"x":null}]} )";
  const auto outcome = encoder.encode(batch, Line{line, 100, 170, false}, "read-time", &json);
  ASSERT_NE(outcome.json, nullptr);
  EXPECT_TRUE(outcome.json->is_object);
  EXPECT_EQ(batch.key(0), std::optional<std::string_view>("u1"));
  EXPECT_EQ(batch.timestamp_ms(0), 1795427816123);

  simdjson::dom::parser parser;
  const auto doc = parse_record(parser, batch.record(0));
  EXPECT_EQ(std::string_view(doc["@timestamp"]), "2026-11-23T09:56:56.123Z");  // the lifted time
  EXPECT_EQ(std::string_view(doc["host"]), "web-1");
  EXPECT_EQ(std::string_view(doc["input"]), "app");
  EXPECT_EQ(std::string_view(doc["path"]), "/var/log/app.log");
  EXPECT_EQ(uint64_t(doc["offset"]), 100U);
  EXPECT_EQ(std::string_view(doc["user"]), "u1");
  EXPECT_EQ(simdjson::minify(doc["n"]), R"([1,{"x":null}])");
  EXPECT_EQ(doc["message"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(RecordEncoderTest, MembersNamedLikeTheEnvelopesKeepTheirValueOnce) {
  SourceInfo source{"app", "web-1", "/p"};
  RecordEncoder encoder(Codec::kJson, source);
  JsonLineParser json({});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  encoder.encode(batch,
                 Line{R"({"host":"container-9","offset":"x","@timestamp":"t"})", 0, 1, false},
                 "read-time", &json);
  encoder.encode(batch, Line{"{}", 5, 8, false}, "read-time", &json);
  encoder.encode(
      batch,
      Line{R"({"@timestamp":"t","host":"h","input":"i","path":"p","offset":0})", 8, 9, false},
      "read-time", &json);
  EXPECT_EQ(batch.record(0),
            R"({"input":"app","path":"/p","host":"container-9","offset":"x","@timestamp":"t"})");
  EXPECT_EQ(batch.record(1),
            R"({"@timestamp":"read-time","host":"web-1","input":"app","path":"/p","offset":5})");
  EXPECT_EQ(batch.record(2), R"({"@timestamp":"t","host":"h","input":"i","path":"p","offset":0})");
  EXPECT_FALSE(batch.has_keys());
  EXPECT_FALSE(batch.has_record_timestamps());
}

TEST(RecordEncoderTest, LineThatIsNotJsonIsShippedAsTextWithTheReason) {
  SourceInfo source{"app", "web-1", "/p"};
  RecordEncoder encoder(Codec::kJson, source);
  JsonLineParser json({"ts", TimestampFormat::kAuto, "user"});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const auto outcome =
      encoder.encode(batch, Line{"{\"user\":\"u1\", broken \xff", 3, 30, true}, "read-time", &json);
  ASSERT_NE(outcome.json, nullptr);
  EXPECT_FALSE(outcome.json->is_object);
  EXPECT_EQ(outcome.replaced_utf8_bytes, 1U);
  EXPECT_FALSE(batch.has_keys());  // nothing is lifted from a line that does not parse
  simdjson::dom::parser parser;
  const auto doc = parse_record(parser, batch.record(0));
  EXPECT_EQ(std::string_view(doc["message"]), "{\"user\":\"u1\", broken \xEF\xBF\xBD");
  EXPECT_EQ(std::string_view(doc["@timestamp"]), "read-time");
  EXPECT_TRUE(bool(doc["truncated"]));
  EXPECT_FALSE(std::string_view(doc["json_error"]).empty());
}

TEST(RecordEncoderTest, RawCodecShipsJsonLinesAsWrittenWithTheirKeyAndTime) {
  SourceInfo source{"app", "h", "/p"};
  RecordEncoder encoder(Codec::kRaw, source, InvalidUtf8::kKeep);
  JsonLineParser json({"t", TimestampFormat::kUnixMillis, "k"});
  Batch batch(std::make_shared<SourceInfo>(source), 99);
  encoder.encode(batch, Line{R"({"t":1500,"k":"a"})", 0, 19, false}, "ts", &json);
  encoder.encode(batch, Line{"not json", 19, 28, false}, "ts", &json);
  encoder.encode(batch, Line{R"({"k":"c"})", 28, 38, false}, "ts", &json);
  EXPECT_EQ(batch.record(0), R"({"t":1500,"k":"a"})");
  EXPECT_EQ(batch.record(1), "not json");
  EXPECT_EQ(batch.timestamp_ms(0), 1500);
  EXPECT_EQ(batch.timestamp_ms(1), 99);
  EXPECT_EQ(batch.timestamp_ms(2), 99);
  EXPECT_EQ(batch.key(0), std::optional<std::string_view>("a"));
  EXPECT_EQ(batch.key(1), std::nullopt);
  EXPECT_EQ(batch.key(2), std::optional<std::string_view>("c"));
}

TEST(RecordEncoderTest, FormatsTimestampsInUtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1795427816123), "2026-11-23T09:56:56.123Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(-62167219200000), "0000-01-01T00:00:00.000Z");
}

TEST(RecordEncoderTest, TimestampsAgreeWithGmtimeAcrossCenturiesAndLeapDays) {
  // From 1900 to 2200 in steps of about 8.9 days that are no whole number of seconds, so the
  // time of day, the day of the month and the milliseconds all vary: against the C library.
  for (int64_t ms = -2208988800000; ms < 7258118400000; ms += 7919113LL * 97) {
    const time_t seconds = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm utc{};
    ASSERT_NE(gmtime_r(&seconds, &utc), nullptr);
    const std::string expected = fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
        utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ((ms % 1000) + 1000) % 1000);
    ASSERT_EQ(format_timestamp(ms), expected) << "at " << ms;
  }
}

}  // namespace
}  // namespace drover::inputs
