#include "config/units.h"

#include <gtest/gtest.h>

namespace drover::config {
namespace {

using std::chrono::milliseconds;

TEST(UnitsTest, ParsesDurationsWithEveryUnit) {
  EXPECT_EQ(*parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(*parse_duration("10s"), milliseconds(10'000));
  EXPECT_EQ(*parse_duration("1.5m"), milliseconds(90'000));
  EXPECT_EQ(*parse_duration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(*parse_duration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(*parse_duration(" 3 s "), milliseconds(3'000));
}

TEST(UnitsTest, RejectsDurationsWithoutOrWithUnknownUnit) {
  EXPECT_FALSE(parse_duration("10").has_value());
  EXPECT_FALSE(parse_duration("10 parsecs").has_value());
  EXPECT_FALSE(parse_duration("-1s").has_value());
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_NE(parse_duration("10x").error().message.find("10x"), std::string::npos);
}

TEST(UnitsTest, ParsesBinaryAndDecimalSizes) {
  EXPECT_EQ(*parse_size("64MiB"), 64ULL << 20);
  EXPECT_EQ(*parse_size("1MB"), 1'000'000ULL);
  EXPECT_EQ(*parse_size("4KiB"), 4096ULL);
  EXPECT_EQ(*parse_size("512"), 512ULL);
  EXPECT_EQ(*parse_size("2 GiB"), 2ULL << 30);
}

TEST(UnitsTest, RejectsBadSizes) {
  EXPECT_FALSE(parse_size("64mb").has_value());  // units are case-sensitive: mb is millibits
  EXPECT_FALSE(parse_size("lots").has_value());
  EXPECT_FALSE(parse_size("-5MiB").has_value());
}

}  // namespace
}  // namespace drover::config
