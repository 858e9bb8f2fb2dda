#include "agent/checkpoint_store.h"

#include "tests/support/temp_dir.h"

#include <fmt/format.h>
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

Checkpoints many_files(int count) {
  Checkpoints all;
  for (int i = 0; i < count; ++i) {
    all[fmt::format("1:{}", i)] = {fmt::format("/var/log/app/{}.log", i), 100};
  }
  return all;
}

TEST(CheckpointStoreTest, ChangesGoToTheJournalAndLoadAppliesThem) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  Checkpoints all = many_files(1000);
  ASSERT_TRUE(store.save(all).has_value());
  const auto snapshot_bytes = std::filesystem::file_size(dir / "cp.json");
  all["1:7"].offset = 250;
  all.erase("1:8");
  all["1:5000"] = {"/var/log/app/new.log", 3};
  ASSERT_TRUE(store.save_changes({{"1:7", all["1:7"]}, {"1:5000", all["1:5000"]}}, {"1:8"}, all)
                  .has_value());
  // A few changes among a thousand files: the snapshot is left alone.
  EXPECT_EQ(std::filesystem::file_size(dir / "cp.json"), snapshot_bytes);
  EXPECT_LT(std::filesystem::file_size(store.journal_file()), 400U);

  CheckpointStore reader(dir / "cp.json");
  auto loaded = reader.load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(*loaded, all);
}

TEST(CheckpointStoreTest, TornJournalLineEndsTheReplayAndTheNextSaveIsWhole) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  Checkpoints all = many_files(3);
  ASSERT_TRUE(store.save(all).has_value());
  all["1:0"].offset = 200;
  ASSERT_TRUE(store.save_changes({{"1:0", all["1:0"]}}, {}, all).has_value());
  // A crash in the middle of the next append leaves half a line.
  const std::string journal = testing::read_file(store.journal_file());
  testing::write_file(store.journal_file(),
                      journal + "{\"key\":\"1:1\",\"path\":\"/var/log/app/1.log\",\"offset\":9");
  CheckpointStore restarted(dir / "cp.json");
  auto loaded = restarted.load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->at("1:0").offset, 200U);
  EXPECT_EQ(loaded->at("1:1").offset, 100U);  // the torn line's older position: sent again
  // Appending after the torn half would hide every later line: the first save after a start
  // writes a whole snapshot and a fresh journal instead.
  Checkpoints next = *loaded;
  next["1:2"].offset = 300;
  ASSERT_TRUE(restarted.save_changes({{"1:2", next["1:2"]}}, {}, next).has_value());
  EXPECT_EQ(testing::read_file(restarted.journal_file()).find("1:1"), std::string::npos);
  next["1:1"].offset = 400;
  ASSERT_TRUE(restarted.save_changes({{"1:1", next["1:1"]}}, {}, next).has_value());
  EXPECT_EQ(*CheckpointStore(dir / "cp.json").load(), next);
}

TEST(CheckpointStoreTest, JournalOfAnOlderSnapshotIsIgnored) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  Checkpoints all = many_files(2);
  ASSERT_TRUE(store.save(all).has_value());
  all["1:0"].offset = 150;
  ASSERT_TRUE(store.save_changes({{"1:0", all["1:0"]}}, {}, all).has_value());
  const std::string old_journal = testing::read_file(store.journal_file());
  all["1:0"].offset = 120;  // moved back: the file was rewritten and read again from 0
  ASSERT_TRUE(store.save(all).has_value());
  // A crash after the new snapshot but before its journal was started leaves the old journal.
  testing::write_file(store.journal_file(), old_journal);
  EXPECT_EQ(CheckpointStore(dir / "cp.json").load()->at("1:0").offset, 120U);
}

TEST(CheckpointStoreTest, JournalOutgrowingTheSnapshotIsFoldedIntoIt) {
  TempDir dir;
  CheckpointStore store(dir / "cp.json");
  Checkpoints all = many_files(10);
  ASSERT_TRUE(store.save(all).has_value());
  uint64_t largest_journal = 0;
  for (uint64_t offset = 101; offset < 2000; ++offset) {
    all["1:3"].offset = offset;
    ASSERT_TRUE(store.save_changes({{"1:3", all["1:3"]}}, {}, all).has_value());
    largest_journal =
        std::max<uint64_t>(largest_journal, std::filesystem::file_size(store.journal_file()));
  }
  // Bounded by 64 KiB (or the snapshot's size, if larger) plus one append.
  EXPECT_LT(largest_journal, (64U << 10) + 200U);
  EXPECT_GT(largest_journal, 32U << 10);
  EXPECT_EQ(CheckpointStore(dir / "cp.json").load()->at("1:3").offset, 1999U);
}

}  // namespace
}  // namespace drover
