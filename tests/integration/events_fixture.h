// What the events input's integration tests share: drover with an events input (HTTP and a Unix
// socket) shipping to librdkafka's mock cluster, and numbered events to send it.
#pragma once

#include "tests/support/drover_process.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/http_get.h"
#include "tests/support/mock_kafka.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

namespace drover {

inline std::string events(int connection, int first, int count) {
  std::string body;
  for (int n = first; n < first + count; ++n) {
    body += fmt::format(R"({{"user":"u{}","c":{},"n":{},"text":"event {} of connection {}"}})",
                        n % 5, connection, n, n, connection);
    body += '\n';
  }
  return body;
}

inline int64_t member(std::string_view json, const char* name) {
  simdjson::dom::parser parser;
  int64_t value = -1;
  if (parser.parse(json.data(), json.size())[name].get(value) != simdjson::SUCCESS) return -1;
  return value;
}

class EventsToKafkaTest : public ::testing::Test {
 protected:
  void start(int partitions, const std::string& input_extra = "key_field = \"user\"",
             const std::string& output_extra = "") {
    kafka.create_topic("events", partitions);
    partitions_ = partitions;
    const std::string text =
        fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
admin_address = "127.0.0.1:0"

[inputs.ev]
type = "events"
listen = "{1}"
socket = "{0}/events.sock"
{2}

[outputs.kafka]
type = "kafka"
inputs = ["ev"]
brokers = ["{3}"]
topic = "events"
linger = "5ms"
{4}
)",
                    dir.path().string(), address, input_extra, kafka.bootstrap(), output_extra);
    testing::write_file(dir / "drover.toml", text);
    drover = std::make_unique<testing::DroverProcess>(
        std::vector<std::string>{"run", "--config", (dir / "drover.toml").string()},
        dir / "stdout.txt", dir / "drover.log");
    // The socket is listening once its path is there (drover renames it into place).
    ASSERT_TRUE(testing::wait_until([&] {
      return testing::HttpConnection(address).connected() &&
             std::filesystem::exists(dir / "events.sock");
    })) << drover->log();
  }
  std::string metrics() {
    std::string admin = testing::read_file(dir / "data" / "admin.address");
    if (!admin.empty()) admin.pop_back();
    return testing::http_get(admin, "/metrics").second;
  }
  void stop() {
    drover->signal(SIGTERM);
    ASSERT_EQ(drover->wait_exit(), 0) << drover->log();
  }

  testing::TempDir dir;
  testing::MockKafka kafka;
  std::string address = fmt::format("127.0.0.1:{}", testing::free_port());
  std::unique_ptr<testing::DroverProcess> drover;
  int partitions_ = 1;
};

}  // namespace drover
