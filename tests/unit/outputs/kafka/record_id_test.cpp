#include "outputs/kafka/record_id.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace drover::outputs {
namespace {

// Expected values from an independent FNV-1a implementation (Python, 64-bit offset basis
// 0xcbf29ce484222325, prime 0x100000001b3): what a consumer computing the id gets.
TEST(RecordIdTest, SourceIsFnv1aOfHostNewlinePathInSixteenHexDigits) {
  EXPECT_EQ(record_source_hash("", ""), 0xaf63c74c8601c8ddULL);
  EXPECT_EQ(record_source_hash("host", "/var/log/app.log"), 0x642f2b3c2b18a644ULL);
  RecordId::Buffer buffer;
  const RecordId nginx(SourceInfo{"web", "web-01", "/var/log/nginx/access.log"});
  EXPECT_EQ(nginx.render(0, buffer), "e73c3be6c8868d16:0");
  EXPECT_EQ(nginx.render(UINT64_MAX, buffer), "e73c3be6c8868d16:18446744073709551615");
  EXPECT_EQ(RecordId(SourceInfo{"other input", "web-01", "/var/log/nginx/access.log"})
                .render(4096, buffer),
            "e73c3be6c8868d16:4096")
      << "the same record read by two inputs has one id";
  EXPECT_NE(RecordId(SourceInfo{"web", "web-02", "/var/log/nginx/access.log"}).render(0, buffer),
            "e73c3be6c8868d16:0")
      << "another host";
}

}  // namespace
}  // namespace drover::outputs
