// drover's `sasl` and `tls` keys against real brokers: SASL/PLAIN, and SASL_SSL with
// SCRAM-SHA-512 and a CA made at test time. A password comes from a file; a wrong one, or a
// broker certificate drover does not trust, delivers nothing, says why in one line, and shows
// on /readyz, while drover keeps running and acknowledges nothing.
#include "tests/kafka/drover_pipeline.h"
#include "tests/kafka/kafka_cluster.h"
#include "tests/support/checkpoints.h"
#include "tests/support/http_get.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace drover {
namespace {

using testing::DroverPipeline;
using testing::KafkaCluster;
using testing::KafkaClusterOptions;
using testing::TopicReader;
using testing::wait_until;

std::string sasl_toml(const std::filesystem::path& password_file) {
  return fmt::format(
      R"(sasl = {{ mechanism = "PLAIN", username = "drover", password_file = "{}" }})",
      password_file.string());
}

TEST(SaslTest, PlainPasswordFromAFileShipsAndAWrongOneDeliversNothing) {
  KafkaClusterOptions options;
  options.sasl_plain_users = {{"drover", "drover-secret"}};
  KafkaCluster kafka(options);
  kafka.create_topic("secure", 1, 1);
  testing::TempDir secrets;
  testing::write_file(secrets / "right", "drover-secret\n");
  testing::write_file(secrets / "wrong", "not-the-password\n");

  DroverPipeline good({.brokers = kafka.bootstrap(),
                       .topic = "secure",
                       .extra_output_toml = sasl_toml(secrets / "right")});
  testing::append_file(good.log_path("app.log"), "authenticated one\nauthenticated two\n");
  good.start();
  TopicReader reader(kafka.bootstrap(), "secure", 1, kafka.client_properties());
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 2; })) << good.log();
  ASSERT_EQ(good.stop(), 0) << good.log();
  EXPECT_EQ(good.log().find("drover-secret"), std::string::npos) << "the password was logged";

  DroverPipeline bad({.brokers = kafka.bootstrap(),
                      .topic = "secure",
                      .extra_output_toml = sasl_toml(secrets / "wrong")});
  testing::append_file(bad.log_path("app.log"), "must not arrive\n");
  bad.start();
  ASSERT_TRUE(wait_until([&] {
    return bad.log().find("Authentication failed") != std::string::npos;
  })) << bad.log();
  ASSERT_EQ(bad.stop(), 0) << bad.log();
  EXPECT_EQ(reader.total_records(1), 2);
  EXPECT_EQ(bad.log().find("not-the-password"), std::string::npos) << "the password was logged";
  EXPECT_NE(bad.log().find("not acknowledged by Kafka"), std::string::npos) << bad.log();
}

TEST(SaslSslTest, ScramOverTlsShipsAndBadCredentialsSayWhyWithoutAFloodOrACrashLoop) {
  KafkaClusterOptions options;
  options.scram_users = {{"drover", "scram-secret-of-drover"}};
  KafkaCluster kafka(options);
  kafka.create_topic("secure", 1, 1);
  testing::TempDir secrets;
  testing::write_file(secrets / "right", "scram-secret-of-drover\n");
  testing::write_file(secrets / "wrong", "not-the-scram-secret\n");
  // A CA of its own, which signed nothing the broker shows.
  const std::string other_ca = fmt::format(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other-ca -keyout {0}/other.key "
      "-out {0}/other.pem >/dev/null 2>&1",
      secrets.path().string());
  ASSERT_EQ(std::system(other_ca.c_str()), 0);
  const auto security = [&](const std::filesystem::path& password,
                            const std::filesystem::path& ca) {
    return fmt::format(
        "sasl = {{ mechanism = \"SCRAM-SHA-512\", username = \"drover\", password_file = "
        "\"{}\" }}\ntls = {{ ca_file = \"{}\" }}",
        password.string(), ca.string());
  };

  DroverPipeline good({.brokers = kafka.bootstrap(),
                       .topic = "secure",
                       .extra_output_toml = security(secrets / "right", kafka.ca_file())});
  testing::append_file(good.log_path("app.log"), "over tls one\nover tls two\n");
  good.start();
  TopicReader reader(kafka.bootstrap(), "secure", 1, kafka.client_properties());
  ASSERT_TRUE(wait_until([&] { return reader.poll().size() == 2; })) << good.log();
  ASSERT_EQ(good.stop(), 0) << good.log();

  struct Bad {
    const char* what;
    std::filesystem::path password;
    std::filesystem::path ca;
    const char* says;  // in the log and on /readyz
  };
  const std::string fast_statistics = "\nstatistics_interval = \"200ms\"";
  for (const Bad& bad_case :
       {Bad{"a wrong password", secrets / "wrong", kafka.ca_file(), "Authentication failed"},
        Bad{"an untrusted certificate", secrets / "right", secrets / "other.pem",
            "certificate verify failed"}}) {
    SCOPED_TRACE(bad_case.what);
    DroverPipeline bad(
        {.brokers = kafka.bootstrap(),
         .topic = "secure",
         .extra_output_toml = security(bad_case.password, bad_case.ca) + fast_statistics});
    testing::append_file(bad.log_path("app.log"), "must not arrive\n");
    bad.start();
    std::string ready;
    ASSERT_TRUE(wait_until([&] {
      const std::string admin = bad.admin_address();
      if (admin.empty()) return false;
      ready = testing::http_get(admin, "/readyz").second;
      return ready.find("cannot authenticate") != std::string::npos;
    })) << ready
        << "\n"
        << bad.log();
    EXPECT_NE(ready.find(bad_case.says), std::string::npos) << ready;
    // librdkafka keeps trying (a fixed password or certificate is picked up without a restart);
    // the log says why once, not once per attempt.
    long long connects = 0;
    ASSERT_TRUE(wait_until([&] {
      connects = testing::metric_value(testing::http_get(bad.admin_address(), "/metrics").second,
                                       R"(drover_kafka_connects_total{output="kafka"})");
      return connects >= 5;
    })) << connects
        << "\n"
        << bad.log();
    EXPECT_TRUE(bad.running()) << "no crash, no exit: " << bad.log();
    EXPECT_LE(testing::count_of(bad.log(), bad_case.says), 3U) << bad.log();
    ASSERT_EQ(bad.stop(), 0) << bad.log();
    EXPECT_NE(bad.log().find("not acknowledged by Kafka"), std::string::npos) << bad.log();
    EXPECT_EQ(bad.log().find("not-the-scram-secret"), std::string::npos)
        << "the password was logged";
  }
  EXPECT_EQ(reader.total_records(1), 2) << "nothing arrived without the right credentials";
}

}  // namespace
}  // namespace drover
