// The real logrotate (Debian's package, installed by scripts/setup.sh --tests) rotating a file
// drover follows, with `create` and with `copytruncate`: every line shipped exactly once.
#include "tests/unit/inputs/file/file_input_fixture.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace drover::inputs {
namespace {

using testing::wait_until;

std::string logrotate_binary() {
  for (const char* candidate : {"/usr/sbin/logrotate", "/usr/bin/logrotate"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return {};
}

class LogrotateTest : public FileInputTest {
 protected:
  void SetUp() override {
    FileInputTest::SetUp();
    binary_ = logrotate_binary();
    ASSERT_FALSE(binary_.empty()) << "logrotate is not installed: run scripts/setup.sh --tests";
  }
  void write_config(std::string_view mode) {
    // logrotate refuses a config that others may write to.
    testing::write_file(dir / "logrotate.conf",
                        fmt::format("{} {{\n  rotate 10\n  {}\n  missingok\n  nocompress\n}}\n",
                                    (dir / "logs" / "app.log").string(), mode));
    std::filesystem::permissions(dir / "logrotate.conf", std::filesystem::perms(0644));
  }
  void rotate() {
    const std::string command =
        fmt::format("{} --force --state {} {} 2>&1", binary_, (dir / "logrotate.state").string(),
                    (dir / "logrotate.conf").string());
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  std::string binary_;
};

TEST_F(LogrotateTest, CreateWhileTheApplicationKeepsWriting) {
  write_config("create 0644");
  auto c = config();
  c.include = {(dir / "logs" / "app.log").string()};
  Running running(c, context());

  // The application writes without pause; after each rotation it is told to reopen its file,
  // as logrotate's postrotate script would, and writes to the renamed file until then.
  std::mutex mutex;
  std::vector<std::string> written;
  std::atomic<int> reopen_requests{0};
  // A jthread: an assertion that ends the test early still stops and joins it.
  std::jthread application([&](std::stop_token stop) {
    LineWriter writer(dir / "logs" / "app.log", "app");
    int reopened = 0;
    while (!stop.stop_requested()) {
      auto lines = writer.write(10);
      std::lock_guard lock(mutex);
      append_to(written, lines);
      if (reopened < reopen_requests) {
        writer.reopen();
        ++reopened;
      }
    }
  });
  ASSERT_TRUE(wait_until([&] { return metric("drover_input_files_opened_total") == 1; }));
  for (uint64_t rotation = 1; rotation <= 3; ++rotation) {
    ASSERT_TRUE(wait_until([&] {
      std::lock_guard lock(mutex);
      return written.size() >= rotation * 2000;
    }));
    rotate();
    ++reopen_requests;
    // Rotations come minutes apart: drover has found the new file before the next one.
    ASSERT_TRUE(wait_until([&] { return metric("drover_input_files_opened_total") > rotation; }));
  }
  application.request_stop();
  application.join();
  EXPECT_TRUE(std::filesystem::exists(dir / "logs" / "app.log.3"));
  expect_exactly(running, written);
  running.stop();
}

TEST_F(LogrotateTest, CopytruncateWithTheRotatedCopiesMatchingInclude) {
  write_config("copytruncate");
  auto c = config();
  c.include = {(dir / "logs" / "app.log*").string()};
  c.rotate_wait = std::chrono::seconds(3);
  Running running(c, context());
  LineWriter writer(dir / "logs" / "app.log", "app");  // O_APPEND: writes land after the cut
  std::vector<std::string> expected;
  for (uint64_t rotation = 1; rotation <= 3; ++rotation) {
    append_to(expected, writer.write(1000));
    // As with rotations minutes apart, drover has read the lines before they are cut: only
    // then does it see the cut as a rewrite (lines it never read are read from the copy).
    ASSERT_TRUE(
        wait_until([&] { return metric("drover_input_records_total") == expected.size(); }));
    rotate();
    // Rotations come minutes apart: drover has found the copy before the next one renames it.
    ASSERT_TRUE(
        wait_until([&] { return metric("drover_input_files_opened_total") == rotation + 1; }));
  }
  append_to(expected, writer.write(1000));
  EXPECT_TRUE(std::filesystem::exists(dir / "logs" / "app.log.3"));
  expect_exactly(running, expected);
  EXPECT_EQ(metric("drover_input_files_rewritten_total"), 3U);
  running.stop();
}

}  // namespace
}  // namespace drover::inputs
