#include "outputs/kafka/kafka_security.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace drover::outputs {
namespace {

struct Parsed {
  KafkaSecurity security;
  std::vector<std::string> problems;
};

Parsed parse(const std::string& text) {
  std::istringstream in(text);
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, "outputs.k", diagnostics);
  Parsed parsed{parse_kafka_security(reader), {}};
  reader.finish();
  parsed.problems = diagnostics.problems();
  return parsed;
}

std::string property(const Properties& properties, const std::string& name) {
  auto it = std::find_if(properties.begin(), properties.end(),
                         [&](const auto& p) { return p.first == name; });
  return it == properties.end() ? "<unset>" : it->second;
}

TEST(KafkaSecurityTest, TlsWithScramFromAnEnvironmentVariable) {
  ::setenv("DROVER_TEST_KAFKA_PASSWORD", "s3cret", 1);
  const auto parsed = parse(R"(
[tls]
ca_file = "/etc/ssl/ca.pem"
[sasl]
mechanism = "SCRAM-SHA-512"
username = "drover"
password_env = "DROVER_TEST_KAFKA_PASSWORD"
)");
  ASSERT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems);
  auto resolved = security_properties(parsed.security, /*resolve_secrets=*/true);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_EQ(property(*resolved, "security.protocol"), "SASL_SSL");
  EXPECT_EQ(property(*resolved, "ssl.ca.location"), "/etc/ssl/ca.pem");
  EXPECT_EQ(property(*resolved, "ssl.endpoint.identification.algorithm"), "https");
  EXPECT_EQ(property(*resolved, "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(property(*resolved, "sasl.username"), "drover");
  EXPECT_EQ(property(*resolved, "sasl.password"), "s3cret");
  // Validation never reads the secret.
  auto unresolved = security_properties(parsed.security, /*resolve_secrets=*/false);
  EXPECT_EQ(property(*unresolved, "sasl.password"), "<secret>");
}

TEST(KafkaSecurityTest, PasswordFromAFileWithoutItsTrailingNewline) {
  testing::TempDir dir;
  testing::write_file(dir / "password", "from-file\n");
  const auto parsed = parse("[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\npassword_file = \"" +
                            (dir / "password").string() + "\"\n");
  ASSERT_TRUE(parsed.problems.empty());
  auto resolved = security_properties(parsed.security, true);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(property(*resolved, "security.protocol"), "SASL_PLAINTEXT");
  EXPECT_EQ(property(*resolved, "sasl.password"), "from-file");
}

TEST(KafkaSecurityTest, MissingSecretIsAnErrorThatDoesNotShowIt) {
  const auto parsed = parse(
      "[sasl]\nmechanism = \"PLAIN\"\nusername = \"u\"\npassword_env = \"DROVER_TEST_UNSET_PW\"\n");
  auto resolved = security_properties(parsed.security, true);
  ASSERT_FALSE(resolved.has_value());
  EXPECT_NE(resolved.error().message.find("DROVER_TEST_UNSET_PW"), std::string::npos);
}

TEST(KafkaSecurityTest, InlineSecretsAndIncompleteSettingsAreRefusedWithTheirLines) {
  const auto parsed = parse(R"(
[tls]
cert_file = "/etc/drover/client.pem"
verify = false
[sasl]
mechanism = "SCRAM-SHA-256"
password = "hunter2"
)");
  ASSERT_EQ(parsed.problems.size(), 3U) << ::testing::PrintToString(parsed.problems);
  EXPECT_EQ(parsed.problems[0],
            "drover.toml:3: outputs.k.tls.cert_file: a client certificate needs both cert_file "
            "and key_file");
  EXPECT_NE(parsed.problems[1].find("drover.toml:5: outputs.k.sasl.username: is required"),
            std::string::npos)
      << parsed.problems[1];
  EXPECT_EQ(parsed.problems[2],
            "drover.toml:7: outputs.k.sasl.password: secrets are not written in the config: name "
            "an environment variable (password_env) or a file (password_file)");
  for (const auto& problem : parsed.problems) EXPECT_EQ(problem.find("hunter2"), std::string::npos);
}

TEST(KafkaSecurityTest, OauthbearerUsesOidcClientCredentials) {
  ::setenv("DROVER_TEST_CLIENT_SECRET", "cs", 1);
  const auto parsed = parse(R"(
[sasl]
mechanism = "OAUTHBEARER"
token_endpoint = "https://idp.example/oauth2/token"
client_id = "drover"
client_secret_env = "DROVER_TEST_CLIENT_SECRET"
scope = "kafka"
)");
  ASSERT_TRUE(parsed.problems.empty()) << ::testing::PrintToString(parsed.problems);
  auto resolved = security_properties(parsed.security, true);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(property(*resolved, "sasl.oauthbearer.method"), "oidc");
  EXPECT_EQ(property(*resolved, "sasl.oauthbearer.client.secret"), "cs");
  EXPECT_EQ(property(*resolved, "sasl.oauthbearer.scope"), "kafka");
}

TEST(KafkaSecurityTest, SecretPropertyNamesAreRecognised) {
  EXPECT_TRUE(is_secret_property("sasl.password"));
  EXPECT_TRUE(is_secret_property("ssl.key.password"));
  EXPECT_TRUE(is_secret_property("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(is_secret_property("sasl.username"));
}

}  // namespace
}  // namespace drover::outputs
