#include "agent/queue/segment.h"

#include "agent/queue/batch_codec.h"
#include "agent/queue/crc32c.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <random>

namespace drover {
namespace {

using testing::TempDir;

TEST(Crc32cTest, KnownVectorsAndIncrementalUse) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283U);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAU);  // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43U);
  std::string data(1000, '\0');
  std::mt19937 random(7);
  for (char& c : data) c = static_cast<char>(random());
  const std::string_view view(data);
  for (size_t split : {0UL, 1UL, 7UL, 8UL, 9UL, 500UL, 999UL, 1000UL}) {
    EXPECT_EQ(crc32c(view.substr(split), crc32c(view.substr(0, split))), crc32c(view)) << split;
  }
}

Batch sample_batch(int first, int count) {
  auto source = std::make_shared<SourceInfo>(SourceInfo{"app", "web-1", "/var/log/app.log"});
  Batch batch(source, 1'700'000'000'123);
  for (int i = first; i < first + count; ++i) {
    batch.add_record(fmt::format("{{\"n\":{},\"line\":\"record {}\"}}", i, i),
                     static_cast<uint64_t>(i) * 40);
  }
  return batch;
}

TEST(BatchCodecTest, RoundTripsEverythingAnOutputNeeds) {
  const Batch batch = sample_batch(0, 5);
  std::string bytes;
  encode_batch(batch, bytes);
  auto decoded = decode_batch(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  const Batch& b = **decoded;
  EXPECT_EQ(b.source().input, "app");
  EXPECT_EQ(b.source().host, "web-1");
  EXPECT_EQ(b.source().path, "/var/log/app.log");
  EXPECT_EQ(b.timestamp_ms(), 1'700'000'000'123);
  ASSERT_EQ(b.record_count(), 5U);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(b.record(i), batch.record(i));
    EXPECT_EQ(b.position(i), batch.position(i));
  }
}

// Keys and timestamps lifted from the records themselves (the JSON parser) survive the disk.
Batch batch_with_record_fields() {
  Batch batch = sample_batch(0, 4);
  Batch with(batch.source_ptr(), batch.timestamp_ms());
  for (size_t i = 0; i < batch.record_count(); ++i) {
    with.add_record(batch.record(i), batch.position(i));
    if (i == 1) with.set_record_key("");  // an empty key is a key, unlike none
    if (i == 2) {
      with.set_record_key("user-42");
      with.set_record_timestamp(1'600'000'000'000);
    }
  }
  return with;
}

TEST(BatchCodecTest, RoundTripsKeysAndTimestampsOfTheirOwn) {
  const Batch batch = batch_with_record_fields();
  std::string bytes;
  encode_batch(batch, bytes);
  auto decoded = decode_batch(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  const Batch& b = **decoded;
  ASSERT_EQ(b.record_count(), 4U);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b.record(i), batch.record(i));
    EXPECT_EQ(b.position(i), batch.position(i));
  }
  EXPECT_EQ(b.key(0), std::nullopt);
  EXPECT_EQ(b.key(1), std::optional<std::string_view>(""));
  EXPECT_EQ(b.key(2), std::optional<std::string_view>("user-42"));
  EXPECT_EQ(b.key(3), std::nullopt);  // after the last record that had one
  EXPECT_EQ(b.timestamp_ms(0), 1'700'000'000'123);
  EXPECT_EQ(b.timestamp_ms(2), 1'600'000'000'000);
  EXPECT_EQ(b.timestamp_ms(3), 1'700'000'000'123);
  // A batch without them keeps the version-1 encoding an older drover reads.
  std::string plain;
  encode_batch(sample_batch(0, 4), plain);
  EXPECT_EQ(plain[0], 1);
  EXPECT_EQ(bytes[0], 2);
}

TEST(BatchCodecTest, RecordsWithBytesBetweenThemKeepOnlyTheirOwnBytes) {
  Batch batch(std::make_shared<SourceInfo>(), 0);
  batch.add_record("first", 0);
  batch.buffer().append("<not a record>");  // an encoder may leave bytes outside any record
  batch.start_record();
  batch.buffer().append("second");
  batch.seal_record(6);
  std::string bytes;
  encode_batch(batch, bytes);
  auto decoded = decode_batch(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  ASSERT_EQ((*decoded)->record_count(), 2U);
  EXPECT_EQ((*decoded)->record(0), "first");
  EXPECT_EQ((*decoded)->record(1), "second");
  EXPECT_EQ((*decoded)->position(1), 6U);
}

TEST(BatchCodecTest, EveryTruncationIsAnErrorNotACrash) {
  std::string bytes;
  encode_batch(sample_batch(0, 3), bytes);
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_batch(std::string_view(bytes).substr(0, size)).has_value()) << size;
  }
  bytes[12] = '\x7f';  // the input name's length (bytes 9-12): now far beyond the payload
  EXPECT_FALSE(decode_batch(bytes).has_value());
  std::string with_keys;
  encode_batch(batch_with_record_fields(), with_keys);
  for (size_t size = 0; size < with_keys.size(); ++size) {
    EXPECT_FALSE(decode_batch(std::string_view(with_keys).substr(0, size)).has_value()) << size;
  }
}

class SegmentTest : public ::testing::Test {
 protected:
  /// Writes `count` frames of different sizes; returns their offsets.
  std::vector<uint64_t> write_frames(int count) {
    auto writer = SegmentWriter::create(dir.path(), 7);
    EXPECT_TRUE(writer.has_value()) << writer.error().message;
    std::vector<uint64_t> offsets;
    for (int i = 0; i < count; ++i) {
      std::string payload;
      encode_batch(sample_batch(i * 10, 1 + i % 4), payload);
      auto offset = (*writer)->append(payload);
      EXPECT_TRUE(offset.has_value());
      offsets.push_back(*offset);
    }
    EXPECT_TRUE((*writer)->sync());
    end = (*writer)->size();
    return offsets;
  }
  std::filesystem::path file() const { return segment_path(dir.path(), 7); }

  TempDir dir;
  uint64_t end = 0;
};

TEST_F(SegmentTest, ScanFindsEveryFrameAndReadsThemBack) {
  const auto offsets = write_frames(6);
  EXPECT_EQ(segment_id_of(file()), 7);
  auto scan = scan_segment(file());
  ASSERT_TRUE(scan.has_value());
  EXPECT_EQ(scan->id, 7U);
  EXPECT_TRUE(scan->header_error.empty());
  EXPECT_TRUE(scan->damaged.empty());
  EXPECT_FALSE(scan->torn_tail);
  EXPECT_EQ(scan->valid_end, end);
  ASSERT_EQ(scan->frames.size(), 6U);
  UniqueFd fd(::open(file().c_str(), O_RDONLY));
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(scan->frames[i].offset, offsets[i]);
    std::string payload;
    ASSERT_TRUE(read_frame(fd.get(), scan->frames[i], payload));
    auto batch = decode_batch(payload);
    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ((*batch)->position(0), i * 10 * 40);
  }
}

TEST_F(SegmentTest, TruncationAtEveryByteOfTheLastFramesKeepsTheFramesBeforeIt) {
  const auto offsets = write_frames(5);
  const std::string whole = testing::read_file(file());
  for (uint64_t cut = offsets[3]; cut < end; ++cut) {
    testing::write_file(file(), std::string_view(whole).substr(0, cut));
    auto scan = scan_segment(file());
    ASSERT_TRUE(scan.has_value());
    const size_t intact = cut < offsets[4] ? 3 : 4;  // frames wholly before the cut
    ASSERT_EQ(scan->frames.size(), intact) << "cut at " << cut;
    EXPECT_EQ(scan->valid_end, offsets[intact]);
    if (cut == offsets[intact]) {
      EXPECT_TRUE(scan->damaged.empty()) << "a cut between frames loses nothing";
    } else {
      EXPECT_TRUE(scan->torn_tail) << cut;
      ASSERT_EQ(scan->damaged.size(), 1U);
      EXPECT_EQ(scan->damaged[0].begin, offsets[intact]);
      EXPECT_EQ(scan->damaged[0].end, cut);
    }
  }
}

TEST_F(SegmentTest, BitFlipAnywhereInAFrameLosesThatFrameOnly) {
  const auto offsets = write_frames(5);
  const std::string whole = testing::read_file(file());
  // Every bit of the middle frame and of the last one.
  for (size_t victim : {2UL, 4UL}) {
    const uint64_t begin = offsets[victim];
    const uint64_t stop = victim + 1 < offsets.size() ? offsets[victim + 1] : end;
    for (uint64_t at = begin; at < stop; ++at) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string damaged = whole;
        damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
        testing::write_file(file(), damaged);
        auto scan = scan_segment(file());
        ASSERT_TRUE(scan.has_value());
        ASSERT_EQ(scan->frames.size(), 4U) << "flip at byte " << at << " bit " << bit;
        for (const auto& frame : scan->frames) EXPECT_NE(frame.offset, begin);
        ASSERT_EQ(scan->damaged.size(), 1U);
        EXPECT_EQ(scan->damaged[0].begin, begin);
        EXPECT_EQ(scan->damaged[0].end, stop);
        EXPECT_EQ(scan->torn_tail, victim == 4);
      }
    }
  }
}

TEST_F(SegmentTest, DamagedHeaderIsReportedAndNothingIsRead) {
  write_frames(2);
  std::string whole = testing::read_file(file());
  whole[9] = '\x55';  // the version field: the header checksum no longer matches
  testing::write_file(file(), whole);
  auto scan = scan_segment(file());
  ASSERT_TRUE(scan.has_value());
  EXPECT_EQ(scan->header_error, "header checksum mismatch");
  EXPECT_TRUE(scan->frames.empty());
  testing::write_file(file(), whole.substr(0, 10));
  EXPECT_NE(scan_segment(file())->header_error.find("shorter than a segment header"),
            std::string::npos);
}

TEST_F(SegmentTest, FrameChangedAfterTheScanIsCaughtOnRead) {
  write_frames(2);
  auto scan = scan_segment(file());
  ASSERT_TRUE(scan.has_value());
  std::string whole = testing::read_file(file());
  whole[scan->frames[1].offset + kFrameHeaderBytes + 3] ^= 1;
  testing::write_file(file(), whole);
  UniqueFd fd(::open(file().c_str(), O_RDONLY));
  std::string payload;
  EXPECT_TRUE(read_frame(fd.get(), scan->frames[0], payload));
  EXPECT_FALSE(read_frame(fd.get(), scan->frames[1], payload));
}

TEST_F(SegmentTest, SegmentNamesSortInIdOrder) {
  EXPECT_EQ(segment_path("/q", 42).filename(), "00000000000000000042.seg");
  EXPECT_EQ(segment_id_of("/q/00000000000000000042.seg"), 42);
  EXPECT_EQ(segment_id_of("/q/state.json"), -1);
  EXPECT_EQ(segment_id_of("/q/0000000000000000004x.seg"), -1);
}

}  // namespace
}  // namespace drover
