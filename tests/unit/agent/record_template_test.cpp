#include "agent/record_template.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(RecordTemplateTest, RendersFieldsAndLiterals) {
  auto tmpl = RecordTemplate::parse("logs.{input}.{host}");
  ASSERT_TRUE(tmpl.has_value());
  EXPECT_EQ(tmpl->render(SourceInfo{"app", "web-1", "/var/log/a.log"}), "logs.app.web-1");
  EXPECT_FALSE(tmpl->is_constant());
  EXPECT_TRUE(RecordTemplate::parse("fixed")->is_constant());
  EXPECT_TRUE(RecordTemplate::parse("")->empty());
}

TEST(RecordTemplateTest, RejectsUnknownFieldsAndUnclosedBraces) {
  EXPECT_FALSE(RecordTemplate::parse("{nope}").has_value());
  EXPECT_FALSE(RecordTemplate::parse("logs.{input").has_value());
}

TEST(RecordTemplateTest, ReadsJsonFieldsOfTheRecord) {
  const SourceInfo source{"app", "web-1", "/var/log/a.log"};
  auto tmpl = RecordTemplate::parse("{json.service}.{json.user.id}.{json.ok}.{json.n}");
  ASSERT_TRUE(tmpl.has_value());
  EXPECT_TRUE(tmpl->depends_on_record());
  EXPECT_EQ(
      tmpl->render(source, R"({"service":"bill\u0069ng","user":{"id":7},"ok":true,"n":-1.5})"),
      "billing.7.true.-1.5");
}

TEST(RecordTemplateTest, FallbackReplacesMissingEmptyOrNonScalarValues) {
  const SourceInfo source{"app", "web-1", ""};
  auto tmpl = RecordTemplate::parse("{json.service|none}/{path|stdin}/{json.list|x}");
  ASSERT_TRUE(tmpl.has_value());
  EXPECT_TRUE(tmpl->json_fields_have_fallbacks());
  EXPECT_EQ(tmpl->render(source, R"({"list":[1,2]})"), "none/stdin/x");
  EXPECT_EQ(tmpl->render(source, R"({"service":""})"), "none/stdin/x");
  EXPECT_EQ(tmpl->render(source, "not json at all {"), "none/stdin/x");
  EXPECT_EQ(tmpl->render(source, ""), "none/stdin/x");
  EXPECT_EQ(tmpl->render(source, R"({"service":null})"), "none/stdin/x");
  EXPECT_FALSE(RecordTemplate::parse("{json.service}")->json_fields_have_fallbacks());
}

TEST(RecordTemplateTest, FieldNamesWithSlashOrTildeAreMatchedLiterally) {
  auto tmpl = RecordTemplate::parse("{json.a/b}-{json.c~d}");
  ASSERT_TRUE(tmpl.has_value());
  EXPECT_EQ(tmpl->render(SourceInfo{}, R"({"a/b":"1","c~d":"2"})"), "1-2");
}

TEST(RecordTemplateTest, RejectsAnEmptyJsonPath) {
  const auto bad = RecordTemplate::parse("{json.}");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("{json.FIELD}"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace drover
