#include "agent/source_template.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(SourceTemplateTest, RendersFieldsAndLiterals) {
  auto tmpl = SourceTemplate::parse("logs.{input}.{host}");
  ASSERT_TRUE(tmpl.has_value());
  EXPECT_EQ(tmpl->render(SourceInfo{"app", "web-1", "/var/log/a.log"}), "logs.app.web-1");
  EXPECT_FALSE(tmpl->is_constant());
  EXPECT_TRUE(SourceTemplate::parse("fixed")->is_constant());
  EXPECT_TRUE(SourceTemplate::parse("")->empty());
}

TEST(SourceTemplateTest, RejectsUnknownFieldsAndUnclosedBraces) {
  EXPECT_FALSE(SourceTemplate::parse("{nope}").has_value());
  EXPECT_FALSE(SourceTemplate::parse("logs.{input").has_value());
}

}  // namespace
}  // namespace drover
