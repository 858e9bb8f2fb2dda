#include "inputs/file/file_input_config.h"

#include "tests/support/config_problems.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::inputs {
namespace {

std::vector<std::string> problems_of(const std::string& text, FileInputConfig* out = nullptr) {
  auto parsed = testing::parse_table(text, "inputs.app", parse_file_input_config);
  if (out != nullptr) *out = parsed.config;
  return parsed.problems;
}

TEST(FileInputConfigTest, KeepingInvalidUtf8NeedsTheRawCodec) {
  const auto problems = problems_of("include = [\"/l/*.log\"]\ninvalid_utf8 = \"keep\"\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0],
            "drover.toml:2: inputs.app.invalid_utf8: \"keep\" needs codec = \"raw\": a JSON string "
            "cannot hold invalid UTF-8");
}

TEST(FileInputConfigTest, InvalidUtf8DefaultsFollowTheCodec) {
  FileInputConfig json;
  EXPECT_TRUE(problems_of("include = [\"/l/*.log\"]\n", &json).empty());
  EXPECT_EQ(json.invalid_utf8, InvalidUtf8::kReplace);
  FileInputConfig raw;
  EXPECT_TRUE(problems_of("include = [\"/l/*.log\"]\ncodec = \"raw\"\n", &raw).empty());
  EXPECT_EQ(raw.invalid_utf8, InvalidUtf8::kKeep);
}

TEST(FileInputConfigTest, ListsEveryProblemAtOnce) {
  const auto problems = problems_of(
      "include = [\"relative/*.log\"]\nrotate_wait = \"0s\"\nmax_open_files = 0\n"
      "close_idle_after = \"soon\"\n");
  EXPECT_EQ(problems.size(), 4U) << ::testing::PrintToString(problems);
}

TEST(FileInputConfigTest, JsonParserSettings) {
  FileInputConfig parsed;
  EXPECT_TRUE(problems_of("include = [\"/l/*.log\"]\nparser = \"json\"\n"
                          "timestamp_field = \"meta.time\"\ntimestamp_format = \"unix_ms\"\n"
                          "key_field = \"user.id\"\n",
                          &parsed)
                  .empty());
  EXPECT_EQ(parsed.parser, Parser::kJson);
  EXPECT_EQ(parsed.json.timestamp_field, "meta.time");
  EXPECT_EQ(parsed.json.timestamp_format, TimestampFormat::kUnixMillis);
  EXPECT_EQ(parsed.json.key_field, "user.id");

  EXPECT_EQ(problems_of("include = [\"/l/*.log\"]\n", &parsed).size(), 0U);
  EXPECT_EQ(parsed.parser, Parser::kRaw);
  const auto problems = problems_of(
      "include = [\"/l/*.log\"]\ntimestamp_field = \"ts\"\nkey_field = \"a..b\"\n"
      "timestamp_format = \"iso\"\n");
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "drover.toml:2: inputs.app.timestamp_field: needs parser = \"json\"",
                "drover.toml:3: inputs.app.key_field: needs parser = \"json\"",
                "drover.toml:3: inputs.app.key_field: \"a..b\" has an empty name between its dots",
                "drover.toml:4: inputs.app.timestamp_format: 'iso' is not one of: auto, rfc3339, "
                "unix_s, unix_ms, unix_us, unix_ns",
                "drover.toml:4: inputs.app.timestamp_format: needs parser = \"json\""}))
      << ::testing::PrintToString(problems);
}

TEST(FileInputConfigTest, MultilineNeedsExactlyOneValidPattern) {
  const auto both = problems_of(
      "include = [\"/l/*.log\"]\n[multiline]\nstart_pattern = \"^a\"\n"
      "continuation_pattern = \"^b\"\n");
  ASSERT_EQ(both.size(), 1U);
  EXPECT_NE(both[0].find("inputs.app.multiline.start_pattern: set exactly one of"),
            std::string::npos)
      << both[0];
  const auto invalid =
      problems_of("include = [\"/l/*.log\"]\n[multiline]\ncontinuation_pattern = \"(\"\n");
  ASSERT_EQ(invalid.size(), 1U);
  EXPECT_NE(invalid[0].find("drover.toml:3: inputs.app.multiline.continuation_pattern: is not a "
                            "valid RE2 expression: missing )"),
            std::string::npos)
      << invalid[0];
}

}  // namespace
}  // namespace drover::inputs
