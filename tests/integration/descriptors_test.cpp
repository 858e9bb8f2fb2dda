// drover under a low descriptor limit (ulimit -n): more files to follow and more clients than it
// may open descriptors for. Files wait their turn and are read whole, extra connections are
// answered 503 and closed (not left to spin the input's thread), each shortage is said once and
// counted, and everything works again once descriptors are back.
#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::HttpConnection;
using testing::MockKafka;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

constexpr int kFiles = 120;
constexpr int kLinesPerFile = 5;
constexpr rlim_t kDescriptorLimit = 64;

TEST(DescriptorsTest, FilesAndClientsBeyondUlimitWaitOrAreToldAndNothingIsLost) {
  TempDir dir;
  MockKafka kafka;
  kafka.create_topic("t", 1);
  std::filesystem::create_directories(dir / "logs");
  for (int f = 0; f < kFiles; ++f) {
    std::string text;
    for (int n = 0; n < kLinesPerFile; ++n) text += fmt::format("file {} line {}\n", f, n);
    testing::write_file(dir / "logs" / fmt::format("app-{:03}.log", f), text);
  }
  const std::string events = fmt::format("127.0.0.1:{}", testing::free_port());
  testing::write_file(dir / "drover.toml",
                      fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = "127.0.0.1:0"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"
rescan_interval = "500ms"
rotate_wait = "300ms"

[inputs.ev]
type = "events"
listen = "{1}"
codec = "raw"

[outputs.kafka]
type = "kafka"
inputs = ["app", "ev"]
brokers = ["{2}"]
topic = "t"
linger = "5ms"
)",
                                  dir.path().string(), events, kafka.bootstrap()));
  DroverProcess drover({"run", "--config", (dir / "drover.toml").string()}, dir / "stdout.txt",
                       dir / "drover.log", kDescriptorLimit);
  ASSERT_TRUE(wait_until([&] { return HttpConnection(events).connected(); })) << drover.log();
  EXPECT_NE(drover.log().find("max_open_files = 1024 is more than half of the descriptors drover "
                              "may open (ulimit -n 64): at most 32 files"),
            std::string::npos)
      << drover.log();

  // Every line of every file arrives, though not all files can be open at once.
  TopicReader reader(kafka.bootstrap(), "t", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= kFiles * kLinesPerFile; }))
      << reader.records().size() << "\n"
      << drover.log();

  // Clients take every descriptor left. The one beyond is answered 503 and closed when drover
  // can spare a descriptor for that, or waits in the listen backlog until one frees up; either
  // way drover stays up and its other work goes on.
  std::vector<std::unique_ptr<HttpConnection>> held;
  std::unique_ptr<HttpConnection> unserved;
  int status = 0;
  for (int i = 0; i < static_cast<int>(kDescriptorLimit) && !unserved; ++i) {
    auto connection = std::make_unique<HttpConnection>(events);
    ASSERT_TRUE(connection->connected());
    connection->set_timeout(std::chrono::seconds(2));
    const auto reply = connection->post("/v1/events", fmt::format("{{\"held\":{}}}\n", i));
    if (reply.status == 200) {
      held.push_back(std::move(connection));
      continue;
    }
    status = reply.status;
    if (reply.status == 503) {
      EXPECT_NE(reply.body.find("out of file descriptors"), std::string::npos) << reply.body;
    } else {
      EXPECT_EQ(reply.status, 0) << "neither served nor refused, but " << reply.head;
    }
    unserved = std::move(connection);
  }
  ASSERT_TRUE(unserved) << "the descriptor limit was never reached: " << held.size()
                        << " connections held\n"
                        << drover.log();
  EXPECT_TRUE(drover.running()) << drover.log();
  ASSERT_TRUE(wait_until([&] {
    return drover.log().find("input ev: out of file descriptors") != std::string::npos;
  })) << "status "
      << status << "\n"
      << drover.log();

  // Lines and a file written now find no descriptor to be read with: they wait, counted.
  testing::append_file(dir / "logs" / "app-000.log", "file 0 line after\n");
  testing::write_file(dir / "logs" / "late.log", "late file line\n");
  std::string admin = testing::read_file(dir / "data" / "admin.address");
  admin.erase(admin.find_last_not_of('\n') + 1);
  ASSERT_TRUE(wait_until([&] {
    return drover.log().find("input app: cannot list") != std::string::npos ||
           drover.log().find("input app: out of file descriptors") != std::string::npos;
  })) << drover.log();

  // Descriptors back: new clients are served again, the waiting lines and file are read, and
  // drover is healthy.
  held.clear();
  unserved.reset();
  ASSERT_TRUE(wait_until([&] {
    HttpConnection client(events);
    client.set_timeout(std::chrono::seconds(2));
    return client.post("/v1/events", "{\"after\":true}\n").status == 200;
  })) << drover.log();
  std::set<std::string> lines;
  ASSERT_TRUE(wait_until([&] {
    for (const auto& record : reader.poll()) lines.insert(record.value);
    return lines.contains("file 0 line after") && lines.contains("late file line") &&
           lines.contains("{\"after\":true}");
  })) << drover.log();
  const auto [health, problems] = testing::http_get(admin, "/healthz");
  EXPECT_EQ(health, 200) << problems;
  const std::string metrics = testing::http_get(admin, "/metrics").second;
  EXPECT_GT(
      testing::metric_value(metrics, R"(drover_input_descriptors_exhausted_total{input="app"})"), 0)
      << metrics;

  drover.signal(SIGTERM);
  ASSERT_EQ(drover.wait_exit(), 0) << drover.log();
  const std::string log = drover.log();
  EXPECT_LE(testing::count_of(log, "out of file descriptors"), 12U)
      << "said once per 10 s, not once per attempt: " << log;
  // A file that could not be opened or listed is still there: none is taken for gone.
  for (const char* false_claim : {"rotated or deleted", "is gone", "disappeared"}) {
    EXPECT_EQ(log.find(false_claim), std::string::npos) << false_claim << "\n" << log;
  }
  // Every line exactly once.
  std::multiset<std::string> all;
  for (const auto& record : reader.poll()) all.insert(record.value);
  for (int f = 0; f < kFiles; ++f) {
    for (int n = 0; n < kLinesPerFile; ++n) {
      EXPECT_EQ(all.count(fmt::format("file {} line {}", f, n)), 1U) << f << ":" << n;
    }
  }
}

}  // namespace
}  // namespace drover
