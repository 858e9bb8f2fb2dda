// What an operator runs against a live drover: /status and `drover status`, `drover reload`,
// and `drover check --connect` for each failure it reports. The real binary, librdkafka's
// mock cluster.
#include "tests/support/drover_process.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::MockKafka;
using testing::run_drover;
using testing::TempDir;
using testing::wait_until;

std::string pipeline(const TempDir& dir, const std::string& bootstrap,
                     const std::string& kafka_extra = "", const std::string& topic = "ops") {
  return fmt::format(R"([agent]
data_dir = "{0}/data"
admin_address = "127.0.0.1:0"
shutdown_timeout = "2s"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
rescan_interval = "100ms"

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "{2}"
statistics_interval = "100ms"
{3}
)",
                     dir.path().string(), bootstrap, topic, kafka_extra);
}

class OperateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka.create_topic("ops", 1);
    std::filesystem::create_directories(dir / "logs");
    std::string lines;
    for (int i = 0; i < 100; ++i) lines += fmt::format("line {}\n", i);
    testing::write_file(dir / "logs" / "a.log", lines);
    testing::write_file(config, pipeline(dir, kafka.bootstrap()));
  }
  std::unique_ptr<DroverProcess> start() {
    auto drover = std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", config.string()}, dir / "out", dir / "err");
    EXPECT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "data" / "drover.pid"); }))
        << drover->log();
    admin = testing::read_file(dir / "data" / "admin.address");
    admin.erase(admin.find_last_not_of('\n') + 1);
    return drover;
  }
  std::string status_json() { return testing::http_get(admin, "/status").second; }

  TempDir dir;
  MockKafka kafka;
  std::filesystem::path config = dir / "drover.toml";
  std::string admin;
};

TEST_F(OperateTest, StatusShowsInputsOutputsAndTheRecordAccounting) {
  auto drover = start();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  // Every line delivered, the brokers seen up (statistics every 100 ms), the file caught up.
  ASSERT_TRUE(wait_until([&] {
    const std::string body = status_json();
    if (parser.parse(body).get(root) != simdjson::SUCCESS) return false;
    uint64_t delivered = 0, up = 0, lag = 1;
    return root["outputs"]["kafka"]["accounting"]["delivered"].get(delivered) == 0 &&
           delivered == 100 && root["outputs"]["kafka"]["brokers"]["up"].get(up) == 0 && up == 1 &&
           root["inputs"]["app"]["lag_bytes"].get(lag) == 0 && lag == 0;
  })) << status_json();
  std::string_view text;
  ASSERT_EQ(root["version"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, DROVER_VERSION);
  ASSERT_EQ(root["config"]["file"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, config.string());
  bool flag = false;
  ASSERT_EQ(root["ready"].get(flag), simdjson::SUCCESS);
  EXPECT_TRUE(flag);
  ASSERT_EQ(root["outputs"]["kafka"]["accounting"]["balanced"].get(flag), simdjson::SUCCESS);
  EXPECT_TRUE(flag);
  ASSERT_EQ(root["inputs"]["app"]["files"].at(0)["path"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, (dir / "logs" / "a.log").string());
  uint64_t committed = 0;
  ASSERT_EQ(root["inputs"]["app"]["files"].at(0)["committed_offset"].get(committed),
            simdjson::SUCCESS);
  EXPECT_EQ(committed, std::filesystem::file_size(dir / "logs" / "a.log"));

  // Lines written now and not yet read show as lag until they are shipped.
  const auto [code, table] = run_drover({"status", "--config", config.string()});
  EXPECT_EQ(code, 0) << table;
  EXPECT_NE(table.find("ready"), std::string::npos) << table;
  EXPECT_NE(table.find("app "), std::string::npos) << table;
  EXPECT_NE(table.find("1 file(s), lag 0 B"), std::string::npos) << table;
  EXPECT_NE(table.find("records: received 100 = delivered 100 + dead-lettered 0 + in flight 0"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("1/1"), std::string::npos) << "brokers up/known\n" << table;

  const auto [json_code, json] = run_drover({"status", "--admin", admin, "--json"});
  EXPECT_EQ(json_code, 0);
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;

  drover->signal(SIGTERM);
  EXPECT_EQ(drover->wait_exit(), 0) << drover->log();
  const auto [gone_code, gone] = run_drover({"status", "--admin", admin});
  EXPECT_EQ(gone_code, 1);
  EXPECT_NE(gone.find("cannot reach drover's admin endpoint"), std::string::npos) << gone;
}

TEST_F(OperateTest, ReloadCommandReportsTheResultAndEachProblem) {
  auto drover = start();
  testing::write_file(config, pipeline(dir, kafka.bootstrap(), "linger = \"20ms\""));
  auto [code, out] = run_drover({"reload", "--config", config.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("reload applied"), std::string::npos) << out;
  EXPECT_NE(out.find("outputs ~kafka"), std::string::npos) << out;

  // An invalid file is refused before any signal: the running drover is not bothered.
  testing::write_file(config, pipeline(dir, kafka.bootstrap(), "lingr = \"20ms\""));
  std::tie(code, out) = run_drover({"reload", "--config", config.string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("outputs.kafka.lingr: unknown key"), std::string::npos) << out;

  // Valid for `check`, but a component cannot be built: the reload fails and says why.
  testing::write_file(
      config, pipeline(dir, kafka.bootstrap(), R"(tls = { ca_file = "/nonexistent/ca.pem" })"));
  std::tie(code, out) = run_drover({"reload", "--config", config.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("reload FAILED"), std::string::npos) << out;
  EXPECT_NE(out.find("outputs.kafka: cannot create the Kafka producer: ssl.ca.location failed"),
            std::string::npos)
      << out;
  EXPECT_TRUE(drover->running());
  EXPECT_NE(status_json().find(R"("reloads":{"ok":1,"failed":1})"), std::string::npos)
      << status_json();
  drover->signal(SIGTERM);
  EXPECT_EQ(drover->wait_exit(), 0);

  // With nothing running, reload says so.
  std::tie(code, out) = run_drover({"reload", "--config", config.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("no running drover"), std::string::npos) << out;
}

TEST_F(OperateTest, CheckConnectPassesAgainstReachableBrokersAndAnExistingTopic) {
  const auto [code, out] = run_drover({"check", "--connect", "--config", config.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("ok      agent.data_dir"), std::string::npos) << out;
  EXPECT_NE(out.find("ok      outputs.kafka brokers"), std::string::npos) << out;
  EXPECT_NE(out.find("ok      outputs.kafka topic ops: exists, 1 partition(s)"), std::string::npos)
      << out;
}

TEST_F(OperateTest, CheckConnectNamesAMissingTopicUnlessDroverCreatesIt) {
  testing::write_file(config, pipeline(dir, kafka.bootstrap(), "", "absent"));
  auto [code, out] = run_drover({"check", "--connect", "--config", config.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("FAILED  outputs.kafka topic absent: missing"), std::string::npos) << out;

  testing::write_file(
      config, pipeline(dir, kafka.bootstrap(), "create_topic = { partitions = 2, replication = 1 }",
                       "absent"));
  std::tie(code, out) = run_drover({"check", "--connect", "--config", config.string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("ok      outputs.kafka topic absent: missing; drover creates it"),
            std::string::npos)
      << out;
}

TEST_F(OperateTest, CheckConnectNamesUnreachableBrokers) {
  testing::write_file(config, pipeline(dir, "127.0.0.1:1"));
  const auto [code, out] = run_drover({"check", "--connect", "--config", config.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("FAILED  outputs.kafka brokers: 127.0.0.1:1: no answer"), std::string::npos)
      << out;
}

TEST_F(OperateTest, CheckConnectNamesADataDirThatCannotBeWritten) {
  testing::write_file(dir / "not-a-dir", "x");
  std::string text = pipeline(dir, kafka.bootstrap());
  text.replace(text.find(dir.path().string() + "/data"), dir.path().string().size() + 5,
               (dir / "not-a-dir" / "data").string());
  testing::write_file(config, text);
  const auto [code, out] = run_drover({"check", "--connect", "--config", config.string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("FAILED  agent.data_dir"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot create it"), std::string::npos) << out;
}

}  // namespace
}  // namespace drover
