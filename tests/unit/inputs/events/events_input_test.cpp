// The events input's pure parts: its settings, HTTP request heads, and NDJSON bodies.
#include "inputs/events/events_input_config.h"
#include "inputs/events/ndjson_events.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::inputs {
namespace {

std::vector<std::string> problems_of(const std::string& text, EventsInputConfig* out = nullptr) {
  std::istringstream in(text);
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, "inputs.ev", diagnostics);
  EventsInputConfig parsed = parse_events_input_config(reader);
  reader.finish();
  if (out != nullptr) *out = parsed;
  return diagnostics.problems();
}

TEST(EventsInputConfigTest, DefaultsAndEverySetting) {
  EventsInputConfig config;
  ASSERT_TRUE(problems_of("listen = \"127.0.0.1:8088\"\nsocket = \"/run/drover/e.sock\"\n"
                          "socket_mode = \"0600\"\nack = \"delivered\"\ncodec = \"raw\"\n"
                          "key_field = \"user.id\"\nbusy_timeout = \"1s\"\n"
                          "header_timeout = \"2s\"\nbody_timeout = \"3s\"\nidle_timeout = \"4s\"\n",
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
}

TEST(EventsInputConfigTest, AListenerOtherHostsReachNeedsTokensUnlessExplicitlyWaived) {
  EXPECT_EQ(problems_of("listen = \"0.0.0.0:8088\"\n"),
            (std::vector<std::string>{
                "drover.toml:1: inputs.ev.listen: 0.0.0.0:8088 can be reached from other hosts: "
                "set auth_token_file to a file of bearer tokens (one per line, readable only by "
                "drover), or listen on 127.0.0.1"}));
  EventsInputConfig config;
  EXPECT_TRUE(
      problems_of("listen = \"0.0.0.0:8088\"\nallow_unauthenticated = true\n", &config).empty());
  EXPECT_TRUE(config.allow_unauthenticated);
  EXPECT_EQ(config.token_listen(), "");
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

}  // namespace
}  // namespace drover::inputs
