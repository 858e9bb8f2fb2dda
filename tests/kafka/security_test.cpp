// drover's `sasl` keys against a real broker that requires SASL/PLAIN: the password comes from a
// file; a wrong one delivers nothing and says why, and nothing is acknowledged.
#include "tests/kafka/drover_pipeline.h"
#include "tests/kafka/kafka_cluster.h"
#include "tests/support/checkpoints.h"
#include "tests/support/topic_reader.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace drover
