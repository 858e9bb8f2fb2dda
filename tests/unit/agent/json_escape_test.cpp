#include "agent/json_escape.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace drover {
namespace {

std::string escaped(std::string_view text, size_t* replaced = nullptr) {
  std::string out;
  const size_t n = append_json_escaped(out, text);
  if (replaced != nullptr) *replaced = n;
  return out;
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(escaped("a\"b\\c\n\t\r"), "a\\\"b\\\\c\\n\\t\\r");
  EXPECT_EQ(escaped(std::string_view("\x01\x1f", 2)), "\\u0001\\u001f");
}

TEST(JsonEscapeTest, KeepsValidUtf8) { EXPECT_EQ(escaped("héllo → 世界 🚀"), "héllo → 世界 🚀"); }

TEST(JsonEscapeTest, ReplacesEachInvalidByteAndCountsIt) {
  size_t replaced = 0;
  // lone continuation byte, overlong '/', truncated 3-byte sequence at the end
  EXPECT_EQ(escaped("a\x80z\xC0\xAF\xE2\x82", &replaced),
            "a\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replaced, 5U);
}

TEST(JsonEscapeTest, AnyBytesBecomeValidJson) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) & 0xFF);
  const std::string json = "{\"m\":\"" + escaped(garbage) + "\"}";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS);
}

}  // namespace
}  // namespace drover
