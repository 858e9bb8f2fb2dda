#include "outputs/kafka/kafka_security.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace drover::outputs {
namespace {

constexpr std::string_view kPlaceholder = "<secret>";

// `<prefix>_env` or `<prefix>_file`, exactly one when `required`. An inline `<prefix>` is
// refused: a secret in the config file ends up in backups, tickets and screen shares.
SecretRef parse_secret(config::TomlReader& reader, const std::string& prefix, bool required) {
  SecretRef secret;
  secret.env = reader.string(prefix + "_env", "");
  secret.file = reader.string(prefix + "_file", "");
  if (reader.has(prefix)) {
    reader.mark_read(prefix);
    reader.error(prefix, fmt::format("secrets are not written in the config: name an environment "
                                     "variable ({0}_env) or a file ({0}_file)",
                                     prefix));
  } else if (!secret.env.empty() && !secret.file.empty()) {
    reader.error(prefix + "_file", fmt::format("give {0}_env or {0}_file, not both", prefix));
  } else if (required && secret.empty()) {
    reader.error(prefix + "_env", fmt::format("is required (or {}_file)", prefix));
  }
  return secret;
}

}  // namespace

KafkaSecurity parse_kafka_security(config::TomlReader& reader) {
  KafkaSecurity security;
  if (config::TomlReader* t = reader.table("tls")) {
    TlsConfig tls;
    tls.ca_file = t->string("ca_file", "");
    tls.cert_file = t->string("cert_file", "");
    tls.key_file = t->string("key_file", "");
    tls.key_password = parse_secret(*t, "key_password", false);
    tls.verify = t->boolean("verify", true);
    if (tls.cert_file.empty() != tls.key_file.empty()) {
      t->error(tls.cert_file.empty() ? "key_file" : "cert_file",
               "a client certificate needs both cert_file and key_file");
    }
    security.tls = std::move(tls);
  }
  if (config::TomlReader* s = reader.table("sasl")) {
    SaslConfig sasl;
    sasl.mechanism =
        s->one_of("mechanism", "", {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"});
    if (!s->has("mechanism")) s->error("mechanism", "is required");
    if (sasl.mechanism == "OAUTHBEARER") {
      sasl.token_endpoint = s->required_string("token_endpoint");
      sasl.client_id = s->required_string("client_id");
      sasl.client_secret = parse_secret(*s, "client_secret", true);
      sasl.scope = s->string("scope", "");
    } else if (!sasl.mechanism.empty()) {
      sasl.username = s->required_string("username");
      sasl.password = parse_secret(*s, "password", true);
    }
    security.sasl = std::move(sasl);
  }
  return security;
}

Result<std::string> resolve_secret(const SecretRef& secret) {
  if (!secret.env.empty()) {
    const char* value = std::getenv(secret.env.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
      return Error{fmt::format("environment variable {} (a secret) is not set", secret.env)};
    }
    return std::string(value);
  }
  std::ifstream in(secret.file, std::ios::binary);
  if (!in) return Error{fmt::format("cannot read the secret file {}", secret.file)};
  std::ostringstream content;
  content << in.rdbuf();
  std::string value = content.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

Result<Properties> security_properties(const KafkaSecurity& security, bool resolve_secrets) {
  Properties p;
  std::string failure;
  const auto secret = [&](const SecretRef& ref) -> std::string {
    if (!resolve_secrets) return std::string(kPlaceholder);
    auto value = resolve_secret(ref);
    if (!value) {
      failure = value.error().message;
      return {};
    }
    return std::move(*value);
  };
  if (security.tls || security.sasl) {
    p.emplace_back("security.protocol", security.tls && security.sasl ? "SASL_SSL"
                                        : security.tls                ? "SSL"
                                                                      : "SASL_PLAINTEXT");
  }
  if (const auto& tls = security.tls) {
    if (!tls->ca_file.empty()) p.emplace_back("ssl.ca.location", tls->ca_file);
    if (!tls->cert_file.empty()) p.emplace_back("ssl.certificate.location", tls->cert_file);
    if (!tls->key_file.empty()) p.emplace_back("ssl.key.location", tls->key_file);
    if (!tls->key_password.empty()) p.emplace_back("ssl.key.password", secret(tls->key_password));
    p.emplace_back("enable.ssl.certificate.verification", tls->verify ? "true" : "false");
    p.emplace_back("ssl.endpoint.identification.algorithm", tls->verify ? "https" : "none");
  }
  if (const auto& sasl = security.sasl) {
    p.emplace_back("sasl.mechanisms", sasl->mechanism);
    if (sasl->mechanism == "OAUTHBEARER") {
      p.emplace_back("sasl.oauthbearer.method", "oidc");
      p.emplace_back("sasl.oauthbearer.token.endpoint.url", sasl->token_endpoint);
      p.emplace_back("sasl.oauthbearer.client.id", sasl->client_id);
      p.emplace_back("sasl.oauthbearer.client.secret", secret(sasl->client_secret));
      if (!sasl->scope.empty()) p.emplace_back("sasl.oauthbearer.scope", sasl->scope);
    } else {
      p.emplace_back("sasl.username", sasl->username);
      p.emplace_back("sasl.password", secret(sasl->password));
    }
  }
  if (!failure.empty()) return Error{failure};
  return p;
}

bool is_secret_property(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("secret") != std::string_view::npos || name == "sasl.oauthbearer.config" ||
         name == "ssl.key.pem";
}

}  // namespace drover::outputs
