#include "inputs/common/json_line.h"

#include <gtest/gtest.h>

namespace drover::inputs {
namespace {

constexpr int64_t kNovember23 = 1795427816000;  // 2026-11-23T09:56:56Z

TEST(EventTimeTest, ReadsRfc3339WithEveryOffsetStyle) {
  const auto parse = [](std::string_view text) {
    return parse_event_time(text, TimestampFormat::kRfc3339);
  };
  EXPECT_EQ(parse("2026-11-23T09:56:56Z"), kNovember23);
  EXPECT_EQ(parse("2026-11-23T09:56:56.123Z"), kNovember23 + 123);
  EXPECT_EQ(parse("2026-11-23T09:56:56.1234567Z"), kNovember23 + 123);  // below a ms: dropped
  EXPECT_EQ(parse("2026-11-23t09:56:56.5z"), kNovember23 + 500);
  EXPECT_EQ(parse("2026-11-23 09:56:56,25Z"), kNovember23 + 250);
  EXPECT_EQ(parse("2026-11-23T10:56:56+01:00"), kNovember23);
  EXPECT_EQ(parse("2026-11-23T04:26:56-0530"), kNovember23);
  EXPECT_EQ(parse("2026-11-23T09:56:56"), kNovember23);  // no offset: UTC
  EXPECT_EQ(parse("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(parse("2016-12-31T23:59:60Z"), 1483228799000);  // a leap second: Unix has none
}

TEST(EventTimeTest, RejectsWhatIsNotADateTime) {
  for (const char* text : {"", "2026-11-23", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                           "2026-11-23T24:00:00Z", "2026-11-23T09:56:56.Z", "2026-11-23T09:56:56Zx",
                           "2026-11-23T09:56:56+1", "1969-12-31T23:59:59Z", "yesterday"}) {
    EXPECT_EQ(parse_event_time(text, TimestampFormat::kRfc3339), std::nullopt) << text;
  }
}

TEST(EventTimeTest, NumbersAreReadByMagnitudeOrAsConfigured) {
  EXPECT_EQ(event_time_from_number(1795427816.123, TimestampFormat::kAuto), kNovember23 + 123);
  EXPECT_EQ(event_time_from_number(1795427816123.0, TimestampFormat::kAuto), kNovember23 + 123);
  EXPECT_EQ(event_time_from_number(1795427816123456.0, TimestampFormat::kAuto), kNovember23 + 123);
  EXPECT_EQ(event_time_from_number(1795427816123456789.0, TimestampFormat::kAuto),
            kNovember23 + 123);
  EXPECT_EQ(event_time_from_number(1795427816123.0, TimestampFormat::kUnixMillis),
            kNovember23 + 123);
  EXPECT_EQ(event_time_from_number(1500.0, TimestampFormat::kUnixMillis), 1500);
  EXPECT_EQ(event_time_from_number(1500.0, TimestampFormat::kUnixSeconds), 1'500'000);
  EXPECT_EQ(event_time_from_number(-1.0, TimestampFormat::kAuto), std::nullopt);
  EXPECT_EQ(event_time_from_number(1e300, TimestampFormat::kUnixSeconds), std::nullopt);
  EXPECT_EQ(event_time_from_number(1.0, TimestampFormat::kRfc3339), std::nullopt);
  // Text holding a number, as some loggers write it.
  EXPECT_EQ(parse_event_time("1795427816", TimestampFormat::kAuto), kNovember23);
  EXPECT_EQ(parse_event_time("1795427816", TimestampFormat::kRfc3339), std::nullopt);
  EXPECT_EQ(parse_event_time("17954x", TimestampFormat::kUnixSeconds), std::nullopt);
}

TEST(JsonLineParserTest, LiftsNestedTimestampAndKey) {
  JsonLineParser parser({"meta.time", TimestampFormat::kAuto, "user.id"});
  const auto& line =
      parser.parse(R"({"meta":{"time":"2026-11-23T09:56:56Z"},"user":{"id":"u-1"}})", false);
  ASSERT_TRUE(line.is_object) << line.error;
  EXPECT_EQ(line.timestamp_ms, kNovember23);
  EXPECT_TRUE(line.timestamp_error.empty());
  EXPECT_EQ(line.key, std::optional<std::string_view>("u-1"));
  // A key that is not text is its JSON; null is no key.
  EXPECT_EQ(parser.parse(R"({"user":{"id":42}})", false).key,
            std::optional<std::string_view>("42"));
  EXPECT_EQ(parser.parse(R"({"user":{"id":{"a":[1, 2]}}})", false).key,
            std::optional<std::string_view>(R"({"a":[1,2]})"));
  EXPECT_EQ(parser.parse(R"({"user":{"id":null}})", false).key, std::nullopt);
}

TEST(JsonLineParserTest, ReportsWhyATimestampCannotBeLifted) {
  JsonLineParser parser({"ts", TimestampFormat::kAuto, ""});
  EXPECT_EQ(parser.parse(R"({"msg":"x"})", false).timestamp_error, "no field \"ts\"");
  const auto& line = parser.parse(R"({"ts":"soon"})", false);
  EXPECT_TRUE(line.is_object);
  EXPECT_EQ(line.timestamp_ms, std::nullopt);
  EXPECT_EQ(line.timestamp_error, "\"ts\" is \"soon\", not a timestamp");
  EXPECT_EQ(parser.parse(R"({"ts":1795427816})", false).timestamp_ms, kNovember23);
}

TEST(JsonLineParserTest, WhatIsNotAnObjectSaysWhat) {
  JsonLineParser parser({});
  EXPECT_FALSE(parser.parse(R"({"a":1)", false).is_object);
  EXPECT_FALSE(parser.parse(R"({"a":1)", false).error.empty());
  EXPECT_FALSE(parser.parse(R"({"a":1} {"b":2})", false).is_object);  // two documents
  EXPECT_FALSE(parser.parse("{\"a\":\"\xff\"}", false).is_object);    // not UTF-8
  EXPECT_EQ(parser.parse("[1,2]", false).error, "a JSON array, not an object");
  EXPECT_EQ(parser.parse("\"text\"", false).error, "a JSON string, not an object");
  EXPECT_EQ(parser.parse("17", false).error, "a JSON number, not an object");
  EXPECT_FALSE(parser.parse("", false).is_object);
}

TEST(JsonLineParserTest, FindsTheEnvelopesNamesAmongTheMembers) {
  JsonLineParser parser({});
  const auto& line = parser.parse(R"(  {"host":"a","n":1,"offset":2})", true);
  ASSERT_TRUE(line.is_object);
  EXPECT_EQ(line.open_brace, 2U);
  EXPECT_EQ(line.envelope_names, (1U << 1) | (1U << 4));
  EXPECT_FALSE(line.empty_object);
  EXPECT_TRUE(parser.parse("{ }", true).empty_object);
}

TEST(JsonLineParserTest, DottedNamesBecomeJsonPointers) {
  EXPECT_EQ(json_pointer_of("a.b"), "/a/b");
  EXPECT_EQ(json_pointer_of("a~/b"), "/a~0~1b");
  EXPECT_EQ(json_pointer_of(""), "");
}

}  // namespace
}  // namespace drover::inputs
