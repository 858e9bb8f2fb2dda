// brokers = ["embedded"] and ["embedded:PORT"]: what the quickstart relies on. drover runs its
// own development broker and a separate consumer reads every line back from it.
#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <set>
#include <sys/socket.h>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::TempDir;
using testing::TopicReader;
using testing::wait_until;

class EmbeddedBrokerTest : public ::testing::TestWithParam<bool> {};

TEST_P(EmbeddedBrokerTest, ShipsEveryLineAndPublishesTheAddress) {
  const bool fixed_port = GetParam();
  TempDir dir;
  std::filesystem::create_directories(dir / "logs");
  std::string lines;
  for (int i = 0; i < 300; ++i) lines += fmt::format("line {}\n", i);
  testing::write_file(dir / "logs" / "app.log", lines);
  const uint16_t port = fixed_port ? testing::free_port() : 0;
  const std::string brokers = fixed_port ? fmt::format("embedded:{}", port) : "embedded";
  testing::write_file(dir / "drover.toml", fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = "127.0.0.1:0"

[inputs.app]
type = "file"
include = ["{0}/logs/*.log"]
codec = "raw"

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["{1}"]
topic = "quickstart"
linger = "5ms"
)",
                                                       dir.path().string(), brokers));
  DroverProcess drover({"run", "--config", (dir / "drover.toml").string()}, dir / "out",
                       dir / "err");
  const auto address_file = dir / "data" / "embedded-kafka-kafka.address";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(address_file); })) << drover.log();
  std::string address = testing::read_file(address_file);
  address.pop_back();  // newline
  if (fixed_port) {
    EXPECT_EQ(address, fmt::format("127.0.0.1:{}", port));
  }
  ASSERT_TRUE(wait_until([&] {
    return drover.log().find("EMBEDDED development broker listening on " + address) !=
           std::string::npos;
  })) << drover.log();

  // The mock cluster creates topics with 4 partitions by default.
  TopicReader reader(address, "quickstart", 4);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 300; })) << drover.log();
  drover.signal(SIGTERM);
  EXPECT_EQ(drover.wait_exit(), 0) << drover.log();
  std::set<std::string> values;
  for (const auto& r : reader.records()) values.insert(r.value);
  EXPECT_EQ(values.size(), 300U);
  EXPECT_EQ(reader.records().size(), 300U);
}

INSTANTIATE_TEST_SUITE_P(Ports, EmbeddedBrokerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "FixedPort" : "OwnPort";
                         });

TEST(EmbeddedBrokerConfigTest, PortMustBeANumber) {
  TempDir dir;
  testing::write_file(dir / "drover.toml", R"([inputs.app]
type = "file"
include = ["/x/*.log"]

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["embedded:http"]
)");
  auto [code, out] = testing::run_drover({"check", "--config", (dir / "drover.toml").string()});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find(":8: outputs.kafka.brokers: 'embedded:http': the port must be a number"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace drover
