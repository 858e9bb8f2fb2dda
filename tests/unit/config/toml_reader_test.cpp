#include "config/toml_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::config {
namespace {

toml::value parse(const std::string& text) {
  std::istringstream in(text);
  return toml::parse(in, "test.toml");
}

TEST(TomlReaderTest, ReportsUnknownKeyWithLineAndSuggestion) {
  const auto doc = parse("a = 1\n\ncompresion = \"lz4\"\n");
  Diagnostics diagnostics("test.toml");
  TomlReader reader(doc, "out", diagnostics);
  (void)reader.integer("a", 0, 0, 10);
  (void)reader.string("compression", "none");
  reader.finish();
  ASSERT_EQ(diagnostics.problems().size(), 1U);
  EXPECT_EQ(diagnostics.problems()[0],
            "test.toml:3: out.compresion: unknown key (did you mean 'compression'?)");
}

TEST(TomlReaderTest, WrongTypeNamesExpectedAndFound) {
  const auto doc = parse("flag = \"yes\"\n");
  Diagnostics diagnostics("test.toml");
  TomlReader reader(doc, "", diagnostics);
  EXPECT_TRUE(reader.boolean("flag", true));
  ASSERT_EQ(diagnostics.problems().size(), 1U);
  EXPECT_EQ(diagnostics.problems()[0],
            "test.toml:1: flag: expected a boolean (true or false), found a string");
}

TEST(TomlReaderTest, ChildTablesReportTheirUnknownKeysWithFullPath) {
  const auto doc = parse("[outer]\nknown = 1\n[outer.inner]\nstray = 2\n");
  Diagnostics diagnostics("test.toml");
  TomlReader reader(doc, "", diagnostics);
  TomlReader* outer = reader.table("outer");
  ASSERT_NE(outer, nullptr);
  (void)outer->integer("known", 0, 0, 5);
  ASSERT_NE(outer->table("inner"), nullptr);
  reader.finish();
  ASSERT_EQ(diagnostics.problems().size(), 1U);
  EXPECT_EQ(diagnostics.problems()[0], "test.toml:4: outer.inner.stray: unknown key");
}

TEST(TomlReaderTest, SizesDurationsAndRanges) {
  const auto doc = parse("s = \"2MiB\"\nn = 4096\nd = \"5s\"\nbad = \"5 apples\"\nbig = 99\n");
  Diagnostics diagnostics("test.toml");
  TomlReader reader(doc, "", diagnostics);
  EXPECT_EQ(reader.size("s", 0), 2U << 20);
  EXPECT_EQ(reader.size("n", 0), 4096U);
  EXPECT_EQ(reader.duration("d", std::chrono::milliseconds(0)), std::chrono::seconds(5));
  EXPECT_EQ(reader.size("bad", 7), 7U);
  EXPECT_EQ(reader.integer("big", 1, 0, 10), 1);
  const auto problems = diagnostics.problems();
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_NE(problems[0].find("test.toml:4: bad:"), std::string::npos);
  EXPECT_NE(problems[1].find("test.toml:5: big: 99 is out of range [0, 10]"), std::string::npos);
}

TEST(TomlReaderTest, ExpandsEnvironmentInStringsAndReportsUnsetOnes) {
  ::setenv("DROVER_TEST_TOPIC", "logs", 1);
  const auto doc = parse("t = \"${DROVER_TEST_TOPIC}.app\"\nu = \"${DROVER_TEST_UNSET_VAR}\"\n");
  Diagnostics diagnostics("test.toml");
  TomlReader reader(doc, "", diagnostics);
  EXPECT_EQ(reader.string("t", ""), "logs.app");
  (void)reader.string("u", "");
  ASSERT_EQ(diagnostics.problems().size(), 1U);
  EXPECT_NE(diagnostics.problems()[0].find("test.toml:2: u: environment variable "
                                           "DROVER_TEST_UNSET_VAR is not set"),
            std::string::npos);
}

}  // namespace
}  // namespace drover::config
