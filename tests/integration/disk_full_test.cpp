// The filesystem under drover's data directory fills up while Kafka is away (ARCHITECTURE I4,
// I7): drover pushes back on its inputs, says why, loses nothing it accepted, and carries on
// once there is space again.
#include "tests/support/checkpoints.h"
#include "tests/support/drover_process.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <sys/mount.h>
#include <sys/resource.h>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

/// A 3 MiB tmpfs at `path` for the test's lifetime. Needs root (CAP_SYS_ADMIN), which the CI
/// machine has; elsewhere the test fails and says so rather than pretending.
class SmallFilesystem {
 public:
  explicit SmallFilesystem(const std::filesystem::path& path) : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=3m") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string error_;
};

TEST(DiskFullTest, FullDiskPushesBackAndLosesNothing) {
  TempDir dir;
  SmallFilesystem data(dir / "data");
  ASSERT_TRUE(data.mounted()) << "mounting a 3 MiB tmpfs needs root: " << data.error();
  MockKafka kafka(1);
  kafka.create_topic("full", 1);
  std::filesystem::create_directories(dir / "logs");
  testing::write_file(dir / "drover.toml", fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = ""

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"
poll_interval = "10ms"
checkpoint_interval = "50ms"
batch_bytes = "16KiB"

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "full"
linger = "5ms"
delivery_timeout = "1s"
queue = {{ memory_bytes = "64KiB", disk_bytes = "64MiB" }}
)",
                                                       dir.path().string(), kafka.bootstrap()));
  // Most of the filesystem is taken by something else.
  testing::write_file(dir / "data" / "filler", std::string(2'600'000, 'f'));
  kafka.set_all_brokers_down();
  constexpr int kLines = 80'000;  // ~2 MB: more than the space left
  std::string text;
  for (int i = 0; i < kLines; ++i) text += fmt::format("line {:06} of the full-disk test\n", i);
  testing::write_file(dir / "logs" / "app.log", text);

  DroverProcess drover({"run", "--config", (dir / "drover.toml").string()}, dir / "stdout.txt",
                       dir / "drover.log");
  ASSERT_TRUE(wait_until(
      [&] { return drover.log().find("the queue cannot write to disk") != std::string::npos; },
      std::chrono::seconds(30)))
      << drover.log();
  EXPECT_NE(drover.log().find("No space left on device"), std::string::npos) << drover.log();
  // Pushed back: the input holds off, so the file's position stays short of its end.
  EXPECT_LT(testing::committed_offset(dir / "data", "app", dir / "logs" / "app.log"), text.size());

  // Space comes back, then Kafka.
  std::filesystem::remove(dir / "data" / "filler");
  kafka.set_all_brokers_up();
  TopicReader reader(kafka.bootstrap(), "full", 1);
  std::set<std::string> seen;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : reader.poll()) seen.insert(r.value);
        return seen.size() >= static_cast<size_t>(kLines);
      },
      std::chrono::seconds(90)))
      << seen.size() << " of " << kLines << "\n"
      << drover.log();
  drover.signal(SIGTERM);
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kLines));
  std::printf("%d lines delivered after the disk filled up; %zu records in the topic\n", kLines,
              reader.records().size());
}

}  // namespace
}  // namespace drover
