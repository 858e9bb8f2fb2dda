// TLS and SASL for the Kafka output as first-class keys ([outputs.NAME.tls], [.sasl]) and
// their librdkafka properties. Secrets are never in the config file: they are named by an
// environment variable or a file, resolved when the producer is built, and never logged.
#pragma once

#include "base/status.h"
#include "config/toml_reader.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drover::outputs {

using Properties = std::vector<std::pair<std::string, std::string>>;

/// Where a secret comes from: exactly one of the two.
struct SecretRef {
  std::string env;   // environment variable name
  std::string file;  // file whose content (without a trailing newline) is the secret
  bool empty() const { return env.empty() && file.empty(); }
};

struct TlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  SecretRef key_password;
  bool verify = true;  // the broker's certificate and its host name
};

struct SaslConfig {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER
  std::string username;
  SecretRef password;
  std::string token_endpoint;  // OAUTHBEARER (OIDC client credentials)
  std::string client_id;
  SecretRef client_secret;
  std::string scope;
};

struct KafkaSecurity {
  std::optional<TlsConfig> tls;
  std::optional<SaslConfig> sasl;
};

KafkaSecurity parse_kafka_security(config::TomlReader& reader);

/// The security properties. With `resolve_secrets` false, secrets are placeholders (for
/// validating names and values without reading anything).
Result<Properties> security_properties(const KafkaSecurity& security, bool resolve_secrets);

/// librdkafka properties whose values must never appear in a message.
bool is_secret_property(std::string_view name);

Result<std::string> resolve_secret(const SecretRef& secret);

}  // namespace drover::outputs
