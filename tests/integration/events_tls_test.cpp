// The events input over HTTPS (certificates made with openssl at test time): mutual TLS takes
// clients whose certificate its CA signed and no one else, and SIGHUP reads the certificate
// again, keeping the one in use when the new file is bad.
#include "tests/integration/events_fixture.h"
#include "tests/support/tls_client.h"
#include "tests/support/topic_reader.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::HttpsConnection;
using testing::TopicReader;
using testing::wait_until;

class EventsOverTlsTest : public EventsToKafkaTest {
 protected:
  void SetUp() override {
    for (const auto& [name, ca] : {std::pair{"ca", ""}, std::pair{"server", "ca"},
                                   std::pair{"client", "ca"}, std::pair{"renewed", "ca"},
                                   std::pair{"other-ca", ""}, std::pair{"stranger", "other-ca"}}) {
      ASSERT_TRUE(testing::make_certificate(dir.path(), name, ca))
          << testing::read_file(dir / "openssl.log");
    }
  }
  std::string tls(bool client_certificates) const {
    return fmt::format(
        R"(tls = {{ cert_file = "{0}/server.pem", key_file = "{0}/server.key"{1} }})",
        dir.path().string(),
        client_certificates ? fmt::format(R"(, client_ca_file = "{}/ca.pem")", dir.path().string())
                            : "");
  }
  std::unique_ptr<HttpsConnection> connect(const std::string& client = "") const {
    if (client.empty()) return std::make_unique<HttpsConnection>(address, dir / "ca.pem");
    return std::make_unique<HttpsConnection>(address, dir / "ca.pem", dir / (client + ".pem"),
                                             dir / (client + ".key"));
  }
  long long metric(const std::string& series) { return testing::metric_value(metrics(), series); }
};

TEST_F(EventsOverTlsTest, MutualTlsTakesOnlyClientsWhoseCertificateItsCaSigned) {
  start(1, tls(/*client_certificates=*/true));
  const auto trusted = connect("client");
  ASSERT_TRUE(trusted->handshake_ok()) << trusted->error();
  const auto delivered = trusted->post("/v1/events?ack=delivered", events(0, 0, 10));
  EXPECT_EQ(delivered.status, 200) << delivered.body;

  EXPECT_EQ(connect()->post("/v1/events", events(0, 100, 1)).status, 0) << "no certificate";
  EXPECT_EQ(connect("stranger")->post("/v1/events", events(0, 200, 1)).status, 0)
      << "a certificate from another CA";
  testing::HttpConnection plain(address);
  plain.set_timeout(std::chrono::seconds(5));
  EXPECT_EQ(plain.post("/v1/events", events(0, 300, 1)).status, 0) << "plain HTTP";
  ASSERT_TRUE(wait_until([&] {
    return metric(R"(drover_events_tls_handshake_failures_total{input="ev"})") == 3;
  })) << metrics();
  EXPECT_NE(drover->log().find("TLS handshake with https:127.0.0.1:"), std::string::npos)
      << drover->log();

  EXPECT_EQ(trusted->post("/v1/events?ack=delivered", events(0, 10, 1)).status, 200);
  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() >= 11; }));
  std::vector<int64_t> order;
  for (const auto& record : reader.records()) order.push_back(member(record.value, "n"));
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
      << "only the trusted client's events";
  stop();
}

TEST_F(EventsOverTlsTest, SighupReadsTheCertificateAgainAndABadOneFailsTheReload) {
  start(1, tls(/*client_certificates=*/false));
  const auto before = connect();
  ASSERT_TRUE(before->handshake_ok()) << before->error();
  EXPECT_EQ(before->server_name(), "server");
  EXPECT_EQ(before->post("/v1/events", events(0, 0, 1)).status, 200);

  std::filesystem::copy_file(dir / "renewed.pem", dir / "server.pem",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir / "renewed.key", dir / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  drover->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return metric(R"(drover_reloads_total{result="ok"})") == 1; }))
      << drover->log();
  EXPECT_EQ(connect()->server_name(), "renewed") << "new connections get the new certificate";
  EXPECT_EQ(before->post("/v1/events", events(0, 1, 1)).status, 200) << "open ones keep theirs";

  testing::write_file(dir / "server.pem", "not a certificate\n");
  drover->signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return metric(R"(drover_reloads_total{result="failed"})") == 1; }))
      << drover->log();
  EXPECT_NE(drover->log().find(fmt::format("inputs.ev.tls: cannot use the certificate '{}'",
                                           (dir / "server.pem").string())),
            std::string::npos)
      << drover->log();
  const auto after = connect();
  EXPECT_EQ(after->server_name(), "renewed") << "a bad file leaves the certificate in use";
  EXPECT_EQ(after->post("/v1/events", events(0, 2, 1)).status, 200);
  stop();
}

}  // namespace
}  // namespace drover
