#include "agent/checkpoint_store.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::TempDir;

TEST(CheckpointStoreTest, MissingFileLoadsEmpty) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  auto loaded = store.load();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->empty());
}

TEST(CheckpointStoreTest, RoundTripsEntriesWithAwkwardPaths) {
  TempDir dir;
  CheckpointStore store(dir / "sub" / "cp.json");
  Checkpoints saved{{"1:2", {"/var/log/a \"quoted\" \\ path\n.log", 123}},
                    {"1:3", {"/var/log/b.log", 18446744073709551615ULL}}};
  ASSERT_TRUE(store.save(saved).has_value());
  auto loaded = store.load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2U);
  EXPECT_EQ(loaded->at("1:2").path, saved.at("1:2").path);
  EXPECT_EQ(loaded->at("1:2").offset, 123U);
  EXPECT_EQ(loaded->at("1:3").offset, 18446744073709551615ULL);
}

TEST(CheckpointStoreTest, RoundTripsFingerprintsAndReadsVersionOneFilesWithout) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  const Checkpoint full{"/var/log/a.log", 42, 1024, 18446744073709551615ULL, 7, 1763900000000};
  ASSERT_TRUE(store.save({{"1:2", full}}).has_value());
  const Checkpoint loaded = store.load()->at("1:2");
  EXPECT_EQ(loaded.head_bytes, 1024U);
  EXPECT_EQ(loaded.head_hash, full.head_hash);
  EXPECT_EQ(loaded.tail_hash, 7U);
  EXPECT_EQ(loaded.seen_unix_ms, full.seen_unix_ms);

  testing::write_file(dir / "cp.json",
                      R"({"version":1,"entries":[{"key":"1:2","path":"/a","offset":9}]})");
  const Checkpoint old = store.load()->at("1:2");
  EXPECT_EQ(old.offset, 9U);
  EXPECT_EQ(old.head_bytes, 0U);  // unknown: nothing to verify against
  EXPECT_EQ(old.tail_hash, 0U);
}

TEST(CheckpointStoreTest, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  ASSERT_TRUE(store.save({{"k", {"/a", 1}}}).has_value());
  // A leftover temporary from a crash mid-write must not affect the real file.
  testing::write_file(dir / "cp.json.tmp", "{garbage");
  EXPECT_EQ(store.load()->at("k").offset, 1U);
  ASSERT_TRUE(store.save({{"k", {"/a", 2}}}).has_value());
  EXPECT_EQ(store.load()->at("k").offset, 2U);
  EXPECT_FALSE(std::filesystem::exists(dir / "cp.json.tmp"));
}

TEST(CheckpointStoreTest, CorruptFileIsAnErrorNamingTheFile) {
  TempDir dir;
  testing::write_file(dir / "cp.json", "{\"version\":1,\"entries\":[{\"key\":\"1:2\",\"pa");
  CheckpointStore store(dir / "cp.json");
  auto loaded = store.load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find((dir / "cp.json").string()), std::string::npos);
  EXPECT_NE(loaded.error().message.find("corrupt"), std::string::npos);
  store.quarantine();
  EXPECT_TRUE(std::filesystem::exists(dir / "cp.json.corrupt"));
  EXPECT_TRUE(store.load()->empty());
}

TEST(CheckpointStoreTest, WrongVersionOrShapeIsCorrupt) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  testing::write_file(dir / "cp.json", "{\"version\":99,\"entries\":[]}");
  EXPECT_FALSE(store.load().has_value());
  testing::write_file(dir / "cp.json", "{\"version\":1,\"entries\":[{\"key\":\"x\"}]}");
  EXPECT_FALSE(store.load().has_value());
}

}  // namespace
}  // namespace drover
