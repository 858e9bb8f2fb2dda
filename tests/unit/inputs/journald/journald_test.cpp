// The journald input's parts: its settings and matches, an entry as a record, the cursor that
// advances only over acknowledged batches, and sd-journal over journal files written here.
#include "inputs/journald/cursor_tracker.h"
#include "inputs/journald/journal.h"
#include "inputs/journald/journal_record.h"
#include "inputs/journald/journald_config.h"
#include "tests/support/config_problems.h"
#include "tests/support/journal_files.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace drover::inputs {
namespace {

std::vector<std::string> problems_of(const std::string& text, JournaldConfig* out = nullptr) {
  auto parsed = testing::parse_table(text, "inputs.journal", parse_journald_config);
  if (out != nullptr) *out = parsed.config;
  return parsed.problems;
}

TEST(JournaldConfigTest, DefaultsReadTheSystemJournalFromItsEnd) {
  JournaldConfig config;
  ASSERT_TRUE(problems_of("", &config).empty());
  EXPECT_TRUE(config.directory.empty());
  EXPECT_TRUE(config.files.empty());
  EXPECT_EQ(config.start_at, JournalStartAt::kEnd);
  EXPECT_EQ(config.fields, JournalFields::kDefault);
  EXPECT_EQ(config.codec, JournalCodec::kJson);
  EXPECT_TRUE(journal_matches(config).empty());
}

TEST(JournaldConfigTest, UnitsPriorityAndMatchesBecomeJournalMatches) {
  JournaldConfig config;
  ASSERT_TRUE(problems_of("directory = \"/var/log/journal\"\nstart_at = \"beginning\"\n"
                          "units = [\"ssh\", \"cron.timer\"]\npriority = \"warning\"\n"
                          "matches = [\"SYSLOG_IDENTIFIER=sudo\"]\nfields = \"all\"\n"
                          "batch_bytes = \"64KiB\"\ncheckpoint_interval = \"5s\"\n"
                          "max_field_bytes = \"4KiB\"\n",
                          &config)
                  .empty());
  EXPECT_EQ(config.start_at, JournalStartAt::kBeginning);
  EXPECT_EQ(config.fields, JournalFields::kAll);
  EXPECT_EQ(config.batch_bytes, 64U << 10);
  EXPECT_EQ(config.max_field_bytes, 4U << 10);
  EXPECT_EQ(config.checkpoint_interval, std::chrono::seconds(5));
  EXPECT_EQ(journal_matches(config),
            (std::vector<std::string>{"_SYSTEMD_UNIT=ssh.service", "_SYSTEMD_UNIT=cron.timer",
                                      "PRIORITY=0", "PRIORITY=1", "PRIORITY=2", "PRIORITY=3",
                                      "PRIORITY=4", "SYSLOG_IDENTIFIER=sudo"}));
  ASSERT_TRUE(problems_of("priority = \"3\"\n", &config).empty());
  EXPECT_EQ(config.max_priority, 3);
}

TEST(JournaldConfigTest, ListsEveryProblemAtOnce) {
  EXPECT_EQ(
      problems_of("directory = \"journal\"\nfiles = [\"/a.journal\", \"b.journal\"]\n"
                  "priority = \"loud\"\nmatches = [\"unit=ssh\", \"PRIORITY\"]\n"
                  "units = [\"a=b\"]\ncodec = \"raw\"\nfields = \"all\"\n"
                  "checkpoint_interval = \"0s\"\nstart = \"end\"\n"),
      (std::vector<std::string>{
          "drover.toml:1: inputs.journal.directory: must be an absolute path (\"journal\" is not)",
          "drover.toml:2: inputs.journal.files: set directory (a folder of journal files) or "
          "files (the files themselves), not both",
          "drover.toml:2: inputs.journal.files: must be absolute paths (\"b.journal\" is not)",
          "drover.toml:3: inputs.journal.priority: \"loud\" is not a syslog priority: use one "
          "of emerg, alert, crit, err, warning, notice, info, debug, or 0-7 (entries up to it "
          "pass)",
          "drover.toml:4: inputs.journal.matches: \"unit=ssh\" is not a journal match: "
          "FIELD=value, the field in capital letters, digits and _ (e.g. "
          "\"_SYSTEMD_UNIT=ssh.service\")",
          "drover.toml:4: inputs.journal.matches: \"PRIORITY\" is not a journal match: "
          "FIELD=value, the field in capital letters, digits and _ (e.g. "
          "\"_SYSTEMD_UNIT=ssh.service\")",
          "drover.toml:5: inputs.journal.units: \"a=b\" is not a unit name such as "
          "\"ssh.service\"",
          "drover.toml:7: inputs.journal.fields: needs codec = \"json\": a raw record is the "
          "MESSAGE alone",
          "drover.toml:8: inputs.journal.checkpoint_interval: must be greater than zero",
          "drover.toml:9: inputs.journal.start: unknown key"}));
}

class JournalRecordTest : public ::testing::Test {
 protected:
  std::string encode(const JournaldConfig& config, const JournalEntry& e,
                     size_t* replaced = nullptr) {
    JournalRecordEncoder encoder(config, source);
    Batch batch(nullptr, 0);
    const size_t n = encoder.encode(batch, e);
    if (replaced != nullptr) *replaced = n;
    EXPECT_EQ(batch.record_count(), 1U);
    EXPECT_EQ(batch.timestamp_ms(0), e.realtime_us / 1000);
    EXPECT_EQ(batch.position(0), static_cast<uint64_t>(e.realtime_us));
    return std::string(batch.record(0));
  }
  SourceInfo source{"journal", "web-1", ""};
  JournalEntry entry{1'795'000'000'123'456,
                     {{"_PID", "812"},
                      {"MESSAGE", "Accepted publickey for \"root\""},
                      {"PRIORITY", "6"},
                      {"_SYSTEMD_UNIT", "ssh.service"},
                      {"_HOSTNAME", "web-1"},
                      {"SYSLOG_IDENTIFIER", "sshd"},
                      {"_UID", "0"}}};
};

TEST_F(JournalRecordTest, DefaultFieldsFollowTheEnvelope) {
  EXPECT_EQ(encode(JournaldConfig{}, entry),
            R"({"@timestamp":"2026-11-18T11:06:40.123Z","host":"web-1","input":"journal",)"
            R"("message":"Accepted publickey for \"root\"","PRIORITY":"6",)"
            R"("_SYSTEMD_UNIT":"ssh.service","_PID":"812","_HOSTNAME":"web-1",)"
            R"("SYSLOG_IDENTIFIER":"sshd"})");
}

TEST_F(JournalRecordTest, AllFieldsWithBinaryOnesInBase64AndRepeatedOnesAsArrays) {
  JournaldConfig config;
  config.fields = JournalFields::kAll;
  entry.fields = {{"MESSAGE", std::string_view("bad \xff byte", 10)},
                  {"TAG", "a"},
                  {"_PID", "812"},
                  {"TAG", "b"},
                  {"COREDUMP", std::string_view("\x00\x01\xfe", 3)}};
  size_t replaced = 0;
  EXPECT_EQ(encode(config, entry, &replaced),
            R"({"@timestamp":"2026-11-18T11:06:40.123Z","host":"web-1","input":"journal",)"
            "\"message\":\"bad \xEF\xBF\xBD byte\","  // U+FFFD
            R"("COREDUMP_base64":"AAH+",)"
            R"("MESSAGE_base64":"YmFkIP8gYnl0ZQ==","TAG":["a","b"],"_PID":"812"})");
  EXPECT_EQ(replaced, 1U);
}

TEST_F(JournalRecordTest, RawIsTheMessageAlone) {
  JournaldConfig config;
  config.codec = JournalCodec::kRaw;
  EXPECT_EQ(encode(config, entry), "Accepted publickey for \"root\"");
  entry.fields = {{"_PID", "1"}};
  EXPECT_EQ(encode(config, entry), "");
}

TEST(CursorTrackerTest, AdvancesOnlyOverAContiguousRunOfSafeBatches) {
  CursorTracker tracker("s=start");
  const uint64_t first = tracker.add("s=1");
  const uint64_t second = tracker.add("s=2");
  const uint64_t third = tracker.add("s=3");
  tracker.on_batch_safe(second);
  EXPECT_EQ(tracker.committed(), "s=start");
  tracker.on_batch_safe(first);
  EXPECT_EQ(tracker.committed(), "s=2");
  EXPECT_FALSE(tracker.settled());
  tracker.on_batch_safe(third);
  tracker.on_batch_safe(third);  // twice: ignored
  EXPECT_EQ(tracker.committed(), "s=3");
  EXPECT_TRUE(tracker.settled());
}

class JournalFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(testing::kJournalRemote))
        << "needs systemd-journal-remote: scripts/setup.sh --tests installs it";
    ASSERT_TRUE(testing::append_journal(dir / "system.journal", testing::numbered_entries(0, 20)));
    config.directory = dir.path().string();
  }
  std::vector<std::string> messages(Journal& journal, int at_most = 1000) {
    std::vector<std::string> out;
    while (at_most-- > 0) {
      auto more = journal.next();
      EXPECT_TRUE(more.has_value());
      if (!more || !*more) break;
      out.emplace_back(*journal.field("MESSAGE"));
    }
    return out;
  }
  testing::TempDir dir;
  JournaldConfig config;
};

TEST_F(JournalFileTest, ReadsFromTheHeadOrTheTailAndResumesAfterACursor) {
  auto journal = Journal::open(config);
  ASSERT_TRUE(journal) << journal.error().message;
  ASSERT_TRUE(journal->seek_head());
  auto first = messages(*journal, 5);
  ASSERT_EQ(first.size(), 5U);
  EXPECT_EQ(first.front(), "entry 0");
  EXPECT_EQ(journal->realtime_us(), 1'800'000'000'000'004);
  const std::string cursor = journal->cursor();

  auto resumed = Journal::open(config);
  ASSERT_TRUE(resumed);
  auto found = resumed->seek_after(cursor);
  ASSERT_TRUE(found);
  EXPECT_TRUE(*found);
  auto rest = messages(*resumed);
  ASSERT_EQ(rest.size(), 15U);
  EXPECT_EQ(rest.front(), "entry 5");

  auto tail = Journal::open(config);
  ASSERT_TRUE(tail);
  ASSERT_TRUE(tail->seek_tail());
  EXPECT_TRUE(messages(*tail).empty());
  ASSERT_TRUE(testing::append_journal(dir / "system.journal", testing::numbered_entries(20, 3)));
  tail->wait(std::chrono::milliseconds(100), -1);
  EXPECT_EQ(messages(*tail), (std::vector<std::string>{"entry 20", "entry 21", "entry 22"}));
}

TEST_F(JournalFileTest, AnEntryReadKeepsEveryLargeFieldWhole) {
  // Fields this large are compressed in the file, and sd-journal decompresses each into the
  // same buffer: what read_entry() keeps must be copies.
  const std::string message(3000, 'm');
  const std::string other(3000, 'o');
  ASSERT_TRUE(testing::append_journal(
      dir / "system.journal",
      {{1'900'000'000'000'000, {{"MESSAGE", message}, {"OTHER", other}, {"_PID", "7"}}}}));
  auto journal = Journal::open(config);
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->seek_head());
  JournalEntry entry;
  for (int n = 0; n < 21; ++n) ASSERT_TRUE(*journal->next());
  EXPECT_EQ(journal->read_entry(entry, 1 << 20), 0U);
  EXPECT_EQ(entry.realtime_us, 1'900'000'000'000'000);
  EXPECT_EQ(entry.message(), message);
  std::map<std::string_view, std::string_view> fields(entry.fields.begin(), entry.fields.end());
  EXPECT_EQ(fields["OTHER"], other);
  EXPECT_EQ(fields["_PID"], "7");

  // Longer than max_field_bytes: cut to it and counted, the short field whole.
  auto capped = Journal::open(config);
  ASSERT_TRUE(capped);
  ASSERT_TRUE(capped->seek_head());
  for (int n = 0; n < 21; ++n) ASSERT_TRUE(*capped->next());
  EXPECT_EQ(capped->read_entry(entry, 1000), 2U);
  EXPECT_EQ(entry.message(), message.substr(0, 1000));
  std::map<std::string_view, std::string_view> cut(entry.fields.begin(), entry.fields.end());
  EXPECT_EQ(cut["OTHER"], other.substr(0, 1000));
  EXPECT_EQ(cut["_PID"], "7");
}

TEST_F(JournalFileTest, MatchesSelectTheEntries) {
  config.units = {"a"};
  config.max_priority = 3;
  auto journal = Journal::open(config);
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->seek_head());
  // Even numbers (a.service) with n % 8 <= 3: 0, 2, 8, 10, 16, 18.
  EXPECT_EQ(messages(*journal), (std::vector<std::string>{"entry 0", "entry 2", "entry 8",
                                                          "entry 10", "entry 16", "entry 18"}));
}

TEST_F(JournalFileTest, ACursorFromAnotherJournalReadsFromWhereItWouldBe) {
  auto journal = Journal::open(config);
  ASSERT_TRUE(journal);
  auto found = journal->seek_after(
      "s=3dff5b6a57a642b68875e63aade5892c;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;"
      "t=1;x=89c69fd2d5138b14");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found);
  EXPECT_EQ(messages(*journal).size(), 20U) << "an older time: everything is after it";
  EXPECT_FALSE(journal->seek_after("not a cursor"));
}

TEST_F(JournalFileTest, AFileSdJournalCannotReadIsNamed) {
  testing::write_file(dir / "broken.journal", "not a journal file at all");
  EXPECT_EQ(journal_files(config), (std::vector<std::string>{(dir / "broken.journal").string(),
                                                             (dir / "system.journal").string()}));
  EXPECT_TRUE(unreadable_journal_file((dir / "broken.journal").string()).has_value());
  EXPECT_FALSE(unreadable_journal_file((dir / "system.journal").string()).has_value());
  // sd-journal itself skips it and reads the rest.
  auto journal = Journal::open(config);
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->seek_head());
  EXPECT_EQ(messages(*journal).size(), 20U);
}

}  // namespace
}  // namespace drover::inputs
