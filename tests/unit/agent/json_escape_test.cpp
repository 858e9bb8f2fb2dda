#include "agent/json_escape.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>
#include <vector>

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

// Byte at a time, as the JSON and UTF-8 rules read: what the escaper must agree with.
std::string reference_escaped(std::string_view text, bool escape) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      size_t length = c >= 0xC2 && c <= 0xDF   ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
      const unsigned char low = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
      const unsigned char high = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
      if (length == 0 || i + length > text.size() || p[i + 1] < low || p[i + 1] > high) length = 0;
      for (size_t k = 2; k < length; ++k) {
        if (p[i + k] < 0x80 || p[i + k] > 0xBF) length = 0;
      }
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    if (escape && (c == '"' || c == '\\' || c < 0x20)) {
      const std::map<unsigned char, std::string> named{{'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"},
                                                       {'\r', "\\r"}, {'\t', "\\t"},  {'\b', "\\b"},
                                                       {'\f', "\\f"}};
      const auto it = named.find(c);
      out += it != named.end() ? it->second : fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

TEST(JsonEscapeTest, AgreesWithAByteAtATimeReadingAtEveryPositionAndLength) {
  // Every byte class at every position of lines up to 70 bytes, so each lands at every offset
  // within and across the sixteen-byte blocks the escaper scans.
  const std::vector<std::string> specials{"\"",
                                          "\\",
                                          "\n",
                                          "\x01",
                                          "\x1f",
                                          "\x7f",
                                          "\xC3\xA9",
                                          "\xE2\x82\xAC",
                                          "\xF0\x9F\x9A\x80",
                                          "\x80",
                                          "\xC3",
                                          "\xE2\x82",
                                          "\xFF",
                                          " "};
  for (size_t length = 0; length <= 70; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const std::string& special : specials) {
        std::string text(length, 'a');
        text.replace(at, std::min(special.size(), length - at), special, 0,
                     std::min(special.size(), length - at));
        std::string escaped_out;
        std::string kept_out = "x";  // appends, not assigns
        append_json_escaped(escaped_out, text);
        append_utf8_replacing_invalid(kept_out, text);
        ASSERT_EQ(escaped_out, reference_escaped(text, true))
            << "length " << length << " at " << at;
        ASSERT_EQ(kept_out, "x" + reference_escaped(text, false))
            << "length " << length << " at " << at;
      }
    }
  }
}

}  // namespace
}  // namespace drover
