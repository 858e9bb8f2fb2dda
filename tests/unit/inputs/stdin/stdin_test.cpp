// The stdin input's pure parts: its settings, what `drover produce` makes of its options, and
// the tally of what Kafka has.
#include "agent/produce_command.h"
#include "inputs/stdin/delivery_tally.h"
#include "inputs/stdin/stdin_config.h"
#include "tests/support/config_problems.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::inputs {
namespace {

std::vector<std::string> problems_of(const std::string& text, StdinConfig* out = nullptr) {
  auto parsed = testing::parse_table(text, "inputs.in", parse_stdin_config);
  if (out != nullptr) *out = parsed.config;
  return parsed.problems;
}

TEST(StdinConfigTest, KeySeparatorAndTheLineFormat) {
  StdinConfig config;
  ASSERT_TRUE(problems_of("codec = \"raw\"\nkey_separator = \":\"\nmissing_key = \"empty\"\n"
                          "drain_timeout = \"5s\"\n[multiline]\nstart_pattern = \"^\\\\S\"\n",
                          &config)
                  .empty());
  EXPECT_EQ(config.codec, Codec::kRaw);
  EXPECT_EQ(config.key_separator, ":");
  EXPECT_EQ(config.missing_key, MissingKey::kEmpty);
  EXPECT_EQ(config.drain_timeout, std::chrono::seconds(5));
  ASSERT_TRUE(config.multiline.has_value());
  EXPECT_EQ(config.multiline->start_pattern, "^\\S");
}

TEST(StdinConfigTest, ListsEveryProblemAtOnce) {
  EXPECT_EQ(problems_of("missing_key = \"empty\"\nbatch_timeout = \"0s\"\ncodec = \"xml\"\n"),
            (std::vector<std::string>{
                "drover.toml:1: inputs.in.missing_key: needs key_separator: without one no line "
                "has a key",
                "drover.toml:2: inputs.in.batch_timeout: must be greater than zero",
                "drover.toml:3: inputs.in.codec: 'xml' is not one of: json, raw"}));
  EXPECT_EQ(problems_of("parser = \"json\"\nkey_field = \"user\"\nkey_separator = \":\"\n"),
            (std::vector<std::string>{
                "drover.toml:3: inputs.in.key_separator: set key_separator (the key before a "
                "separator) or key_field (a JSON field), not both"}));
}

TEST(DeliveryTallyTest, CountsDeliveredAndDeadLetteredRecordsOnceTheirBatchIsSafe) {
  auto tally = std::make_shared<DeliveryTally>();
  auto first = tally->add(tally, 3);
  auto second = tally->add(tally, 2);
  first->receipt()->delivered(0, "kafka", "t", 0, 1);
  first->receipt()->failed(1, "kafka", "MSG_SIZE_TOO_LARGE");
  first->complete();
  EXPECT_EQ(tally->totals().sent, 5U);
  EXPECT_EQ(tally->totals().delivered, 2U);
  EXPECT_EQ(tally->totals().failed, 1U);
  EXPECT_FALSE(tally->wait_all_safe(std::chrono::steady_clock::now()));
  second->complete();
  EXPECT_TRUE(tally->wait_all_safe(std::chrono::steady_clock::now()));
  EXPECT_EQ(tally->totals().delivered, 4U);
}

}  // namespace
}  // namespace drover::inputs

namespace drover {
namespace {

TEST(ProduceCommandTest, OptionsBecomeAPipeline) {
  const ParsedProduce parsed = parse_produce_arguments(
      {"--brokers", "a:9092,b:9092", "--topic=logs", "--key-separator", "\t", "--progress"});
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.options.brokers, (std::vector<std::string>{"a:9092", "b:9092"}));
  EXPECT_TRUE(parsed.options.progress);
  const std::string config = produce_config(parsed.options, "/tmp/d\"x");
  EXPECT_NE(config.find("data_dir = \"/tmp/d\\\"x\""), std::string::npos) << config;
  EXPECT_NE(config.find("key_separator = \"\\u0009\""), std::string::npos) << config;
  EXPECT_NE(config.find("brokers = [\"a:9092\", \"b:9092\"]"), std::string::npos) << config;
  EXPECT_EQ(parse_produce_arguments({"--brokers", "a:9092"}).error, "produce needs --topic TOPIC");
  EXPECT_EQ(
      parse_produce_arguments({"--brokers", "a:9092", "--topic", "t", "--codec", "xml"}).error,
      "--codec is raw (the default) or json");
}

}  // namespace
}  // namespace drover
