// Security by default, end to end: listeners other hosts can reach take only requests with a
// bearer token (401 and a counter otherwise), and no secret (tokens, SASL and key passwords)
// ever appears in the log, /metrics, /status or `drover check`.
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

#include <cstdlib>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::HttpConnection;
using testing::MockKafka;
using testing::TempDir;
using testing::wait_until;

constexpr const char* kAdminToken = "ADMIN-TOKEN-d41d8cd98f00b204e9800998ecf8427e";
constexpr const char* kEventsToken = "EVENTS-TOKEN-9e107d9d372bb6826bd81d3542a419d6";
constexpr const char* kSaslPassword = "SASL-PASSWORD-e4d909c290d0fb1ca068ffaddf22cbd0";
constexpr const char* kKeyPassword = "KEY-PASSWORD-a87ff679a2f3e71d9181a67b7542122c";

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(dir / "admin.tokens", std::string(kAdminToken) + "\n");
    testing::write_file(dir / "events.tokens", std::string("# clients\n") + kEventsToken + "\n");
    testing::write_file(dir / "key.password", std::string(kKeyPassword) + "\n");
    kafka.create_topic("events", 1);
  }

  /// Events and admin on every interface, with token files; `output_extra` joins the output.
  std::string config(const std::string& output_extra = "") const {
    return fmt::format(R"([agent]
data_dir = "{0}/data"
shutdown_timeout = "2s"
log_level = "debug"
admin_address = "0.0.0.0:0"
admin_token_file = "{0}/admin.tokens"

[inputs.ev]
type = "events"
listen = "0.0.0.0:{1}"
auth_token_file = "{0}/events.tokens"

[outputs.kafka]
type = "kafka"
inputs = ["ev"]
brokers = ["{2}"]
topic = "events"
linger = "5ms"
{3}
)",
                       dir.path().string(), port, kafka.bootstrap(), output_extra);
  }

  void start(const std::string& text) {
    testing::write_file(dir / "drover.toml", text);
    drover = std::make_unique<DroverProcess>(
        std::vector<std::string>{"run", "--config", (dir / "drover.toml").string()},
        dir / "stdout.txt", dir / "drover.log");
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir / "data" / "admin.address"); }))
        << drover->log();
    admin = testing::read_file(dir / "data" / "admin.address");
    admin.erase(admin.find_last_not_of('\n') + 1);
    ASSERT_TRUE(wait_until([&] { return HttpConnection(events).connected(); })) << drover->log();
  }

  std::string metrics() {
    return testing::http_get(admin, "/metrics",
                             fmt::format("Authorization: Bearer {}\r\n", kAdminToken))
        .second;
  }

  TempDir dir;
  MockKafka kafka;
  int port = testing::free_port();
  std::string events = fmt::format("127.0.0.1:{}", port);
  std::string admin;
  std::unique_ptr<DroverProcess> drover;
};

TEST_F(SecurityTest, ListenersOtherHostsReachNeedABearerToken) {
  start(config());
  HttpConnection anonymous(events);
  const auto refused = anonymous.post("/v1/events", "{\"n\":1}\n");
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_NE(refused.head.find("WWW-Authenticate: Bearer"), std::string::npos) << refused.head;
  HttpConnection wrong(events);
  EXPECT_EQ(
      wrong.post("/v1/events", "{\"n\":2}\n", "Authorization: Bearer not-the-token\r\n").status,
      401);
  HttpConnection client(events);
  const auto taken = client.post("/v1/events?ack=delivered", "{\"n\":3}\n",
                                 fmt::format("Authorization: Bearer {}\r\n", kEventsToken));
  EXPECT_EQ(taken.status, 200) << taken.body;
  testing::TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return !reader.poll().empty(); }));
  ASSERT_EQ(reader.records().size(), 1U) << "refused requests put nothing into Kafka";
  EXPECT_NE(reader.records()[0].value.find("\"n\":3"), std::string::npos);

  EXPECT_EQ(testing::http_get(admin, "/metrics").first, 401);
  EXPECT_EQ(testing::http_get(admin, "/status", "Authorization: Bearer wrong\r\n").first, 401);
  const std::string page = metrics();
  EXPECT_EQ(testing::metric_value(page, R"(drover_events_requests_total{input="ev",code="401"})"),
            2);
  EXPECT_EQ(testing::metric_value(page, R"(drover_events_requests_total{input="ev",code="200"})"),
            1);
  EXPECT_EQ(testing::metric_value(page, "drover_admin_unauthorized_total"), 2);

  // drover's own CLI reads the token file the config names.
  const auto [status_code, status] =
      testing::run_drover({"status", "--config", (dir / "drover.toml").string()});
  EXPECT_EQ(status_code, 0) << status;
  EXPECT_NE(status.find("ev"), std::string::npos) << status;

  drover->signal(SIGTERM);
  EXPECT_EQ(drover->wait_exit(), 0) << drover->log();
  EXPECT_NE(drover->log().find("refused a request from"), std::string::npos) << drover->log();
}

// Tokens are rotated without a restart: SIGHUP reads both token files again; a file that became
// unreadable or invalid fails the reload, naming it, and the tokens in use stay.
TEST_F(SecurityTest, TokenFilesAreReadAgainOnSighup) {
  start(config());
  const std::string new_events_token = "EVENTS-TOKEN-ROTATED-0123456789abcdef";
  const std::string new_admin_token = "ADMIN-TOKEN-ROTATED-0123456789abcdef";
  testing::write_file(dir / "events.tokens", new_events_token + "\n");
  testing::write_file(dir / "admin.tokens", new_admin_token + "\n");
  drover->signal(SIGHUP);
  const auto post_with = [&](const std::string& token) {
    HttpConnection client(events);
    return client
        .post("/v1/events", "{\"n\":1}\n", fmt::format("Authorization: Bearer {}\r\n", token))
        .status;
  };
  const auto admin_with = [&](const std::string& token) {
    return testing::http_get(admin, "/metrics", fmt::format("Authorization: Bearer {}\r\n", token));
  };
  // The reload is over (both files read) before anything is checked or written again: under
  // TSan a reload takes long enough for the test to overtake it.
  ASSERT_TRUE(wait_until([&] {
    return testing::metric_value(admin_with(new_admin_token).second,
                                 R"(drover_reloads_total{result="ok"})") == 1;
  })) << drover->log();
  ASSERT_TRUE(wait_until([&] { return post_with(new_events_token) == 200; })) << drover->log();
  EXPECT_EQ(post_with(kEventsToken), 401);
  EXPECT_EQ(admin_with(new_admin_token).first, 200);
  EXPECT_EQ(admin_with(kAdminToken).first, 401);

  testing::write_file(dir / "events.tokens", "short\n");
  drover->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    return testing::metric_value(admin_with(new_admin_token).second,
                                 R"(drover_reloads_total{result="failed"})") == 1;
  })) << drover->log();
  EXPECT_EQ(post_with(new_events_token), 200) << "the tokens read before stay in use";
  EXPECT_NE(drover->log().find("events.tokens:1: a token of 5 characters"), std::string::npos)
      << drover->log();
  drover->signal(SIGTERM);
  EXPECT_EQ(drover->wait_exit(), 0) << drover->log();
  EXPECT_EQ(drover->log().find(new_events_token), std::string::npos) << "a token was logged";
}

TEST_F(SecurityTest, CheckRefusesAListenerOtherHostsReachWithoutTokens) {
  testing::write_file(dir / "open.toml", R"([agent]
admin_address = "0.0.0.0:9899"
[inputs.ev]
type = "events"
listen = "0.0.0.0:8088"
[outputs.out]
type = "stdout"
inputs = ["ev"]
)");
  const auto [code, out] = testing::run_drover({"check", "--config", (dir / "open.toml").string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("open.toml:2: agent.admin_address: 0.0.0.0:9899 can be reached from other "
                     "hosts: set admin_token_file"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("open.toml:5: inputs.ev.listen: 0.0.0.0:8088 can be reached from other "
                     "hosts: set auth_token_file"),
            std::string::npos)
      << out;
}

TEST_F(SecurityTest, NoSecretAppearsInTheLogMetricsStatusOrCheck) {
  ::setenv("DROVER_TEST_SASL_PASSWORD", kSaslPassword, 1);
  // A client certificate whose key is encrypted with the key password: librdkafka must use it.
  const std::string openssl = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -days 1 -subj /CN=drover -keyout {0}/client.key "
      "-out {0}/client.pem -passout file:{0}/key.password >/dev/null 2>&1",
      dir.path().string());
  ASSERT_EQ(std::system(openssl.c_str()), 0) << openssl;
  // The mock cluster speaks neither TLS nor SASL: the output fails to connect and says so, at
  // debug level, with librdkafka's own lines.
  const std::string text = config(fmt::format(
      R"(sasl = {{ mechanism = "PLAIN", username = "drover", password_env = "DROVER_TEST_SASL_PASSWORD" }}
tls = {{ cert_file = "{0}/client.pem", key_file = "{0}/client.key", key_password_file = "{0}/key.password", verify = false }}
)",
      dir.path().string()));
  testing::write_file(dir / "drover.toml", text);
  std::string seen;
  const auto [check_code, check] =
      testing::run_drover({"check", "--config", (dir / "drover.toml").string()});
  seen += check;
  const auto [connect_code, connect] =
      testing::run_drover({"check", "--connect", "--config", (dir / "drover.toml").string()});
  seen += connect;
  EXPECT_NE(connect_code, 0) << connect << "\n(a broker that cannot be authenticated to)";

  start(text);
  HttpConnection client(events);
  EXPECT_EQ(client
                .post("/v1/events", "{\"n\":1}\n",
                      fmt::format("Authorization: Bearer {}\r\n", kEventsToken))
                .status,
            200);
  HttpConnection anonymous(events);
  EXPECT_EQ(anonymous
                .post("/v1/events", "{\"n\":2}\n",
                      fmt::format("Authorization: Bearer {}x\r\n", kEventsToken))
                .status,
            401);
  // Until the output has tried and failed to connect, so its errors are in the log.
  ASSERT_TRUE(wait_until([&] {
    return drover->log().find("output kafka") != std::string::npos &&
           drover->log().find("error") != std::string::npos;
  })) << drover->log();
  seen += metrics();
  seen +=
      testing::http_get(admin, "/status", fmt::format("Authorization: Bearer {}\r\n", kAdminToken))
          .second;
  const auto [status_code, status] =
      testing::run_drover({"status", "--json", "--config", (dir / "drover.toml").string()});
  EXPECT_EQ(status_code, 0) << status;
  seen += status;
  drover->signal(SIGTERM);
  drover->wait_exit();
  seen += drover->log();
  seen += testing::read_file(dir / "stdout.txt");
  ::unsetenv("DROVER_TEST_SASL_PASSWORD");

  ASSERT_GT(seen.size(), 2000U) << "every output was captured";
  EXPECT_NE(seen.find("librdkafka"), std::string::npos) << "librdkafka's own lines were in it";
  for (const char* secret : {kAdminToken, kEventsToken, kSaslPassword, kKeyPassword}) {
    // A secret's distinctive middle, so that a truncated or quoted copy is found too.
    const std::string part = std::string(secret).substr(14, 16);
    EXPECT_EQ(seen.find(part), std::string::npos) << secret << " leaked:\n" << seen;
  }
}

}  // namespace
}  // namespace drover
