#include "config/env_expand.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::config {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvExpandTest, ReplacesSetVariables) {
  auto out = expand_env("kafka-${REGION}:9092", fake_env({{"REGION", "eu1"}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "kafka-eu1:9092");
}

TEST(EnvExpandTest, UsesDefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(*expand_env("${A:-x}", fake_env({})), "x");
  EXPECT_EQ(*expand_env("${A:-x}", fake_env({{"A", ""}})), "x");
  EXPECT_EQ(*expand_env("${A:-}", fake_env({})), "");
}

TEST(EnvExpandTest, UnsetVariableWithoutDefaultIsAnErrorNamingIt) {
  auto out = expand_env("${MISSING_THING}", fake_env({}));
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().message.find("MISSING_THING"), std::string::npos);
}

TEST(EnvExpandTest, DoubleDollarWritesALiteral) {
  EXPECT_EQ(*expand_env("$${HOME} costs $5", fake_env({})), "${HOME} costs $5");
}

TEST(EnvExpandTest, UnclosedBraceIsAnError) {
  EXPECT_FALSE(expand_env("${OOPS", fake_env({})).has_value());
}

}  // namespace
}  // namespace drover::config
