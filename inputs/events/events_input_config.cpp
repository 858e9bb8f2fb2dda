#include "inputs/events/events_input_config.h"

#include "agent/bearer_auth.h"
#include "agent/listener.h"

#include <fmt/format.h>

#include <charconv>

namespace drover::inputs {

std::optional<AckLevel> ack_level_named(std::string_view name) {
  if (name == "accepted") return AckLevel::kAccepted;
  if (name == "durable") return AckLevel::kDurable;
  if (name == "delivered") return AckLevel::kDelivered;
  return std::nullopt;
}

std::string_view name_of(AckLevel level) {
  switch (level) {
    case AckLevel::kAccepted:
      return "accepted";
    case AckLevel::kDurable:
      return "durable";
    case AckLevel::kDelivered:
      return "delivered";
  }
  return "accepted";
}

EventsInputConfig parse_events_input_config(config::TomlReader& reader) {
  EventsInputConfig config;
  config.listen = reader.string("listen", "");
  config.socket = reader.string("socket", "");
  if (config.listen.empty() && config.socket.empty()) {
    reader.error("listen",
                 "set listen (HTTP, e.g. \"127.0.0.1:8088\"), socket (a Unix socket path), or "
                 "both: the input has nothing to listen on");
  }
  config.auth_token_file = reader.string("auth_token_file", "");
  config.allow_unauthenticated = reader.boolean("allow_unauthenticated", false);
  if (config::TomlReader* tls = reader.table("tls")) {
    config.tls.cert_file = tls->required_string("cert_file");
    config.tls.key_file = tls->required_string("key_file");
    config.tls.client_ca_file = tls->string("client_ca_file", "");
    if (config.listen.empty()) {
      reader.error("tls", "is for the HTTP listener: set listen");
    } else if (config.tls.cert_file.empty() || config.tls.key_file.empty()) {
      // named by the reader already
    } else if (Status checked = check_tls_files(config.tls); !checked) {
      reader.error("tls", checked.error().message);
    }
  }
  if (!config.listen.empty() && !parse_ipv4_address(config.listen)) {
    reader.error("listen", "\"" + config.listen + "\" is not an IPv4 address:port");
  } else if (auto tokens = tokens_for_listener(config.token_listen(), config.auth_token_file,
                                               "auth_token_file");
             !tokens) {
    reader.error(
        config.auth_token_file.empty() ? "listen" : "auth_token_file",
        config.auth_token_file.empty()
            ? tokens.error().message + ", or require client certificates (tls.client_ca_file)"
            : tokens.error().message);
  }
  if (config.allow_unauthenticated && config.auth_token_file.empty() &&
      config.tls.client_ca_file.empty() && !config.listen.empty() &&
      !is_loopback_listen(config.listen)) {
    reader.warn("allow_unauthenticated",
                fmt::format("{} takes events from any host that reaches it, without a token or "
                            "a client certificate: anyone there can write to Kafka",
                            config.listen));
  }
  if (!config.socket.empty() && config.socket.front() != '/') {
    reader.error("socket", "must be an absolute path (\"" + config.socket + "\" is not)");
  } else if (config.socket.size() >= 108) {
    reader.error("socket", "is longer than a Unix socket path may be (107 bytes)");
  }
  const std::string mode = reader.string("socket_mode", "0660");
  uint32_t parsed_mode = 0;
  auto [end, ec] = std::from_chars(mode.data(), mode.data() + mode.size(), parsed_mode, 8);
  if (ec != std::errc() || end != mode.data() + mode.size() || parsed_mode > 0777) {
    reader.error("socket_mode", "\"" + mode + "\" is not an octal file mode such as \"0660\"");
  } else {
    config.socket_mode = parsed_mode;
  }
  config.ack =
      *ack_level_named(reader.one_of("ack", "accepted", {"accepted", "durable", "delivered"}));
  config.codec =
      reader.one_of("codec", "json", {"json", "raw"}) == "raw" ? Codec::kRaw : Codec::kJson;
  config.json = parse_json_parser_config(reader);
  config.max_request_bytes = reader.size("max_request_bytes", config.max_request_bytes, 1024);
  config.max_event_bytes = reader.size("max_event_bytes", config.max_event_bytes, 16);
  config.max_connections = static_cast<uint64_t>(
      reader.integer("max_connections", static_cast<int64_t>(config.max_connections), 1, 1 << 20));
  config.busy_timeout = reader.duration("busy_timeout", config.busy_timeout);
  config.ack_timeout = reader.duration("ack_timeout", config.ack_timeout);
  config.header_timeout = reader.duration("header_timeout", config.header_timeout);
  config.body_timeout = reader.duration("body_timeout", config.body_timeout);
  config.idle_timeout = reader.duration("idle_timeout", config.idle_timeout);
  config.idempotency_window = reader.duration("idempotency_window", config.idempotency_window);
  config.idempotency_max_keys = static_cast<uint64_t>(
      reader.integer("idempotency_max_keys", static_cast<int64_t>(config.idempotency_max_keys), 1,
                     int64_t{1} << 24));
  for (const auto& [key, value] : {std::pair{"busy_timeout", config.busy_timeout},
                                   std::pair{"ack_timeout", config.ack_timeout},
                                   std::pair{"header_timeout", config.header_timeout},
                                   std::pair{"body_timeout", config.body_timeout},
                                   std::pair{"idle_timeout", config.idle_timeout},
                                   std::pair{"idempotency_window", config.idempotency_window}}) {
    if (value.count() <= 0) reader.error(key, "must be greater than zero");
  }
  return config;
}

}  // namespace drover::inputs
