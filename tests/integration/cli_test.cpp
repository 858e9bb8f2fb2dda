// The drover binary's command line, as an operator meets it.
#include "agent/queue/disk_queue.h"
#include "tests/support/drover_process.h"
#include "tests/support/temp_dir.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace drover {
namespace {

using testing::run_drover;
using testing::TempDir;

TEST(CliTest, VersionAndHelp) {
  auto [code, out] = run_drover({"--version"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("drover ", 0), 0U);
#ifdef DROVER_WITH_MIMALLOC
  // Linked and serving every malloc() of the process, librdkafka's included.
  EXPECT_NE(out.find("(allocator: mimalloc 2."), std::string::npos) << out;
#else
  EXPECT_NE(out.find("(allocator: glibc malloc)"), std::string::npos) << out;
#endif
  std::tie(code, out) = run_drover({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("drover check"), std::string::npos);
}

TEST(CliTest, UnknownArgumentIsAUsageError) {
  auto [code, out] = run_drover({"frobnicate"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("unexpected argument 'frobnicate'"), std::string::npos);
}

TEST(CliTest, CheckAcceptsAValidConfig) {
  TempDir dir;
  testing::write_file(dir / "ok.toml", R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]

[outputs.out]
type = "stdout"
inputs = ["app"]
)");
  auto [code, out] = run_drover({"check", "--config", (dir / "ok.toml").string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("configuration is valid"), std::string::npos);
  EXPECT_EQ(out.find("writable by every user"), std::string::npos) << out;
  EXPECT_EQ(out.find("running as root") != std::string::npos, ::geteuid() == 0) << out;
}

TEST(CliTest, CheckWarnsAboutAConfigOrDataDirEveryUserCanWrite) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  testing::write_file(dir / "open.toml", fmt::format(R"([agent]
data_dir = "{}"

[inputs.app]
type = "file"
include = ["/var/log/*.log"]

[outputs.out]
type = "stdout"
inputs = ["app"]
)",
                                                     (dir / "data").string()));
  std::filesystem::permissions(dir / "open.toml", std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  std::filesystem::permissions(dir / "data", std::filesystem::perms::all);
  auto [code, out] = run_drover({"check", "--config", (dir / "open.toml").string()});
  EXPECT_EQ(code, 0) << "a warning, not an error\n" << out;
  EXPECT_NE(out.find("warning: " + (dir / "open.toml").string() + " is writable by every user"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("warning: data_dir " + (dir / "data").string() + " is writable by every user"),
            std::string::npos)
      << out;
}

TEST(CliTest, HostMetricsAreRecordsOfTheHostEveryInterval) {
  TempDir dir;
  testing::write_file(dir / "metrics.toml", fmt::format(R"([agent]
data_dir = "{}/data"
admin_address = ""

[inputs.host]
type = "host_metrics"
interval = "100ms"

[outputs.out]
type = "stdout"
inputs = ["host"]
)",
                                                        dir.path().string()));
  testing::DroverProcess drover({"run", "--config", (dir / "metrics.toml").string()}, dir / "out",
                                dir / "err");
  const auto records = [&] {
    const std::string out = testing::read_file(dir / "out");
    return std::count(out.begin(), out.end(), '\n');
  };
  ASSERT_TRUE(testing::wait_until([&] { return records() >= 2; })) << drover.log();
  drover.signal(SIGTERM);
  ASSERT_EQ(drover.wait_exit(), 0) << drover.log();
  const std::string out = testing::read_file(dir / "out");
  const std::string first = out.substr(0, out.find('\n'));
  for (const char* member :
       {"\"input\":\"host\"", "\"interval_s\":0.1", "\"cpu\":{\"cores\":", "\"user_pct\":",
        "\"memory\":{\"total_bytes\":", "\"load\":{\"1m\":"}) {
    EXPECT_NE(first.find(member), std::string::npos) << member << " in " << first;
  }
}

TEST(CliTest, CheckListsThreeDifferentMistakesEachWithItsLine) {
  TempDir dir;
  const std::string file = (dir / "bad.toml").string();
  testing::write_file(file, R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]
codec = "xml"

[outputs.kafka]
type = "kafka"
inputs = ["app", "metrics"]
brokers = ["localhost:9092"]
linger = "soon"
)");
  auto [code, out] = run_drover({"check", "--config", file});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("3 problem(s)"), std::string::npos) << out;
  EXPECT_NE(out.find(file + ":4: inputs.app.codec: 'xml' is not one of: json, raw"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(file + ":8: outputs.kafka.inputs: 'metrics' is not a defined input"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(file + ":10: outputs.kafka.linger: 'soon' is not a duration"),
            std::string::npos)
      << out;
}

TEST(CliTest, MissingConfigFileIsReported) {
  auto [code, out] = run_drover({"check", "--config", "/nonexistent/drover.toml"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("/nonexistent/drover.toml: cannot read the config file"), std::string::npos);
}

TEST(CliTest, QueueVerifyReportsDamageAndRepairFixesIt) {
  TempDir dir;
  const auto queue_dir = dir / "queue" / "kafka";
  {
    auto queue = DiskQueue::open({queue_dir, 1 << 20, 1 << 20});
    ASSERT_TRUE(queue.has_value());
    auto source = std::make_shared<SourceInfo>(SourceInfo{"app", "host", "/var/log/app.log"});
    for (int i = 0; i < 4; ++i) {
      Batch batch(source, 0);
      batch.add_record(fmt::format("record {}", i), static_cast<uint64_t>(i));
      ASSERT_TRUE((*queue)->append(batch).has_value());
    }
  }
  auto [code, out] = run_drover({"queue", "verify", queue_dir.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("1 segment(s), 4 batch(es), 4 pending"), std::string::npos) << out;

  const auto segment = segment_path(queue_dir, kFirstSegmentId);
  std::string bytes = testing::read_file(segment);
  bytes[bytes.size() - 3] ^= 0x01;  // inside the last frame
  testing::write_file(segment, bytes);
  std::tie(code, out) = run_drover({"queue", "verify", queue_dir.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("torn tail at bytes"), std::string::npos) << out;
  EXPECT_NE(out.find("3 pending"), std::string::npos) << out;

  std::tie(code, out) = run_drover({"queue", "verify", "--repair", queue_dir.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("3 batch(es) pending"), std::string::npos) << out;
  std::tie(code, out) = run_drover({"queue", "verify", queue_dir.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("0 damaged range(s)"), std::string::npos) << out;

  std::tie(code, out) = run_drover({"queue", "verify"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("queue verify needs the queue's directory"), std::string::npos) << out;
}

}  // namespace
}  // namespace drover
