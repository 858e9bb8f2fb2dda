// The events input's pure parts: its settings, NDJSON bodies and Idempotency-Key memory.
#include "inputs/events/events_input_config.h"
#include "inputs/events/idempotency_keys.h"
#include "inputs/events/ndjson_events.h"
#include "tests/support/config_problems.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_client.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

namespace drover::inputs {
namespace {

std::vector<std::string> problems_of(const std::string& text, EventsInputConfig* out = nullptr,
                                     std::vector<std::string>* warnings = nullptr) {
  auto parsed = testing::parse_table(text, "inputs.ev", parse_events_input_config);
  if (out != nullptr) *out = parsed.config;
  if (warnings != nullptr) *warnings = parsed.warnings;
  return parsed.problems;
}

TEST(EventsInputConfigTest, DefaultsAndEverySetting) {
  EventsInputConfig config;
  ASSERT_TRUE(problems_of("listen = \"127.0.0.1:8088\"\nsocket = \"/run/drover/e.sock\"\n"
                          "socket_mode = \"0600\"\nack = \"delivered\"\ncodec = \"raw\"\n"
                          "key_field = \"user.id\"\nbusy_timeout = \"1s\"\n"
                          "header_timeout = \"2s\"\nbody_timeout = \"3s\"\nidle_timeout = \"4s\"\n"
                          "idempotency_window = \"5m\"\nidempotency_max_keys = 50\n",
                          &config)
                  .empty());
  EXPECT_EQ(config.listen, "127.0.0.1:8088");
  EXPECT_EQ(config.socket_mode, 0600U);
  EXPECT_EQ(config.ack, AckLevel::kDelivered);
  EXPECT_EQ(config.codec, Codec::kRaw);
  EXPECT_EQ(config.json.key_field, "user.id");
  EXPECT_EQ(config.busy_timeout, std::chrono::seconds(1));
  EXPECT_EQ(config.ack_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config.header_timeout, std::chrono::seconds(2));
  EXPECT_EQ(config.body_timeout, std::chrono::seconds(3));
  EXPECT_EQ(config.idle_timeout, std::chrono::seconds(4));
  EXPECT_EQ(config.idempotency_window, std::chrono::minutes(5));
  EXPECT_EQ(config.idempotency_max_keys, 50U);
}

TEST(EventsInputConfigTest, AListenerOtherHostsReachNeedsTokensUnlessExplicitlyWaived) {
  EXPECT_EQ(problems_of("listen = \"0.0.0.0:8088\"\n"),
            (std::vector<std::string>{
                "drover.toml:1: inputs.ev.listen: 0.0.0.0:8088 can be reached from other hosts: "
                "set auth_token_file to a file of bearer tokens (one per line, readable only by "
                "drover), or listen on 127.0.0.1, or require client certificates "
                "(tls.client_ca_file)"}));
  EventsInputConfig config;
  std::vector<std::string> warnings;
  EXPECT_TRUE(
      problems_of("listen = \"0.0.0.0:8088\"\nallow_unauthenticated = true\n", &config, &warnings)
          .empty());
  EXPECT_TRUE(config.allow_unauthenticated);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "drover.toml:2: inputs.ev.allow_unauthenticated: 0.0.0.0:8088 takes "
                          "events from any host that reaches it, without a token or a client "
                          "certificate: anyone there can write to Kafka"}))
      << "said at start and by drover check";
  EXPECT_EQ(config.token_listen(), "");
}

TEST(EventsInputConfigTest, TlsFilesAreCheckedAndClientCertificatesStandInForTokens) {
  testing::TempDir dir;
  ASSERT_TRUE(testing::make_certificate(dir.path(), "ca"));
  ASSERT_TRUE(testing::make_certificate(dir.path(), "server", "ca"));
  testing::write_file(dir / "bad.pem", "-----BEGIN CERTIFICATE-----\nbroken\n");
  const std::string d = dir.path().string();
  EventsInputConfig config;
  EXPECT_TRUE(problems_of(fmt::format("listen = \"0.0.0.0:8443\"\ntls = {{ cert_file = "
                                      "\"{0}/server.pem\", key_file = \"{0}/server.key\", "
                                      "client_ca_file = \"{0}/ca.pem\" }}\n",
                                      d),
                          &config)
                  .empty())
      << "client certificates say who may send: no token file needed";
  EXPECT_TRUE(config.tls.enabled());
  const auto problems = problems_of(
      fmt::format("listen = \"127.0.0.1:8443\"\ntls = {{ cert_file = \"{0}/bad.pem\", key_file = "
                  "\"{0}/server.key\" }}\n",
                  d));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find(fmt::format(
                "drover.toml:2: inputs.ev.tls: cannot use the certificate '{}/bad.pem'", d)),
            std::string::npos)
      << problems[0];
  const auto wrong_key = problems_of(fmt::format(
      "listen = \"127.0.0.1:8443\"\ntls = {{ cert_file = \"{0}/server.pem\", key_file = "
      "\"{0}/ca.key\" }}\n",
      d));
  ASSERT_EQ(wrong_key.size(), 1U);
  EXPECT_NE(wrong_key[0].find("the private key does not belong to the certificate"),
            std::string::npos)
      << wrong_key[0];
  EXPECT_EQ(
      problems_of("socket = \"/run/e.sock\"\ntls = { cert_file = \"a\", key_file = \"b\" }\n"),
      (std::vector<std::string>{
          "drover.toml:2: inputs.ev.tls: is for the HTTP listener: set listen"}));
}

TEST(EventsInputConfigTest, ListsEveryProblemAtOnce) {
  EXPECT_EQ(
      problems_of("ack = \"durable\"\n"),
      (std::vector<std::string>{
          "drover.toml:1: inputs.ev.listen: set listen (HTTP, e.g. \"127.0.0.1:8088\"), socket "
          "(a Unix socket path), or both: the input has nothing to listen on"}));
  EXPECT_EQ(problems_of("listen = \"localhost\"\nsocket = \"e.sock\"\nsocket_mode = \"rw\"\n"
                        "ack = \"sure\"\nack_timeout = \"0s\"\nport = 1\n"),
            (std::vector<std::string>{
                "drover.toml:1: inputs.ev.listen: \"localhost\" is not an IPv4 address:port",
                "drover.toml:2: inputs.ev.socket: must be an absolute path (\"e.sock\" is not)",
                "drover.toml:3: inputs.ev.socket_mode: \"rw\" is not an octal file mode such as "
                "\"0660\"",
                "drover.toml:4: inputs.ev.ack: 'sure' is not one of: accepted, durable, delivered",
                "drover.toml:5: inputs.ev.ack_timeout: must be greater than zero",
                "drover.toml:6: inputs.ev.port: unknown key"}));
}

TEST(NdjsonEventsTest, EncodesEachObjectAndNamesTheLinesThatAreNot) {
  const SourceInfo source{"ev", "host-1", "http:127.0.0.1:1"};
  const RecordEncoder encoder(Codec::kJson, source, InvalidUtf8::kReplace, false);
  JsonLineParser parser(JsonParserConfig{"", TimestampFormat::kAuto, "user"});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const std::string body = "{\"user\":\"a\",\"n\":1}\r\n\n  \n[1,2]\n{\"n\":3}";
  const NdjsonOutcome outcome = encode_ndjson(body, 100, 1, batch, encoder, parser, "T");
  EXPECT_EQ(outcome.events, 3U);
  EXPECT_EQ(outcome.invalid, 1U);
  ASSERT_EQ(outcome.first_errors.size(), 1U);
  EXPECT_EQ(outcome.first_errors[0],
            "line 4 (byte 24): a JSON array, not an object (send one JSON object per line, not an "
            "array)");
  ASSERT_EQ(batch.record_count(), 3U);
  EXPECT_EQ(batch.record(0),
            "{\"@timestamp\":\"T\",\"host\":\"host-1\",\"input\":\"ev\",\"user\":\"a\",\"n\":1}");
  EXPECT_EQ(batch.key(0), "a");
  EXPECT_EQ(batch.position(0), 100U);
  EXPECT_EQ(batch.record(2), "{\"@timestamp\":\"T\",\"host\":\"host-1\",\"input\":\"ev\",\"n\":3}");
  EXPECT_EQ(batch.position(2), 100U + body.find("{\"n\":3}"));
}

TEST(IdempotencyKeysTest, ARepeatFindsItsFirstRequestUntilTheWindowEnds) {
  using namespace std::chrono_literals;
  IdempotencyKeys keys(10min, 100, 1 << 20);
  const auto start = IdempotencyKeys::Clock::now();
  EXPECT_EQ(keys.find("k1", start), nullptr);
  EXPECT_EQ(keys.wait("k1", 7, start), 0U);
  const IdempotencyKeys::Entry* waiting = keys.find("k1", start + 1s);
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->ticket, std::optional<uint64_t>(7));
  keys.answer("k1", {200, R"({"accepted":3,"ack":"durable"})"}, start + 2s);
  const IdempotencyKeys::Entry* answered = keys.find("k1", start + 9min);
  ASSERT_NE(answered, nullptr);
  EXPECT_FALSE(answered->ticket);
  EXPECT_EQ(answered->reply.status, 200);
  EXPECT_EQ(answered->reply.body, R"({"accepted":3,"ack":"durable"})");
  // The window counts from the first request, not from its reply.
  EXPECT_EQ(keys.find("k1", start + 10min), nullptr);
  EXPECT_EQ(keys.size(), 0U);
  keys.answer("k2", {200, "{}"}, start);
  keys.forget("k2");
  EXPECT_EQ(keys.find("k2", start), nullptr) << "a 503 took nothing: the next try is a first";
}

TEST(IdempotencyKeysTest, TheOldestKeysGoWhenThereAreTooManyOrTheirRepliesTakeTooMuch) {
  const auto now = IdempotencyKeys::Clock::now();
  IdempotencyKeys by_count(std::chrono::minutes(10), 3, 1 << 20);
  size_t evicted = 0;
  for (int k = 0; k < 5; ++k) evicted += by_count.answer(fmt::format("k{}", k), {200, "{}"}, now);
  EXPECT_EQ(evicted, 2U);
  EXPECT_EQ(by_count.find("k0", now), nullptr);
  EXPECT_EQ(by_count.find("k1", now), nullptr);
  EXPECT_NE(by_count.find("k4", now), nullptr);

  IdempotencyKeys by_bytes(std::chrono::minutes(10), 100, 1000);
  const std::string reply(400, 'x');
  for (int k = 0; k < 3; ++k) by_bytes.answer(fmt::format("k{}", k), {200, reply}, now);
  EXPECT_EQ(by_bytes.size(), 2U) << "1,200 bytes of replies do not fit in 1,000";
  EXPECT_EQ(by_bytes.find("k0", now), nullptr);
  EXPECT_EQ(by_bytes.answer("big", {200, std::string(5000, 'y')}, now), 2U);
  EXPECT_NE(by_bytes.find("big", now), nullptr) << "the newest stays, even alone past the bytes";
}

TEST(IdempotencyKeysTest, AKeyIsOneTo255VisibleAsciiCharacters) {
  EXPECT_TRUE(IdempotencyKeys::valid("a"));
  EXPECT_TRUE(IdempotencyKeys::valid("4f9c1c3e-0b6a-4d1e-9f53-6d3f1a2b7c88"));
  EXPECT_TRUE(IdempotencyKeys::valid(std::string(255, 'k')));
  EXPECT_FALSE(IdempotencyKeys::valid(""));
  EXPECT_FALSE(IdempotencyKeys::valid(std::string(256, 'k')));
  EXPECT_FALSE(IdempotencyKeys::valid("with space"));
  EXPECT_FALSE(IdempotencyKeys::valid("caf\xc3\xa9"));
}

}  // namespace
}  // namespace drover::inputs
