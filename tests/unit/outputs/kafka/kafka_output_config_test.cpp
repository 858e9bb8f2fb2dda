#include "outputs/kafka/kafka_output_config.h"

#include "outputs/kafka/topic_name.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drover::outputs {
namespace {

std::vector<std::string> problems_of(const std::string& text) {
  std::istringstream in(text);
  const toml::value doc = toml::parse(in, "drover.toml");
  config::Diagnostics diagnostics("drover.toml");
  config::TomlReader reader(doc, "outputs.k", diagnostics);
  (void)parse_kafka_output_config(reader);
  reader.finish();
  return diagnostics.problems();
}

TEST(KafkaOutputConfigTest, TopicFromRecordFieldsNeedsAFallback) {
  const auto problems = problems_of("brokers = [\"k:9092\"]\ntopic = \"logs.{json.service}\"\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("drover.toml:2: outputs.k.topic: every {json.FIELD} in a topic needs "
                             "a fallback"),
            std::string::npos)
      << problems[0];
  EXPECT_TRUE(problems_of("brokers = [\"k:9092\"]\ntopic = \"logs.{json.service|other}\"\n"
                          "key = \"{json.user}\"\n")
                  .empty());
}

TEST(KafkaOutputConfigTest, FixedTopicNameIsCheckedAgainstKafkasRule) {
  const auto problems = problems_of("brokers = [\"k:9092\"]\ntopic = \"app logs\"\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("outputs.k.topic: 'app logs' has the character \" \" at position 4"),
            std::string::npos)
      << problems[0];
}

TEST(TopicNameTest, KafkasRule) {
  EXPECT_FALSE(invalid_topic_name("logs.app-1_x"));
  EXPECT_TRUE(invalid_topic_name(""));
  EXPECT_TRUE(invalid_topic_name(".."));
  EXPECT_TRUE(invalid_topic_name("a/b"));
  EXPECT_TRUE(invalid_topic_name(std::string(250, 'a')));
  EXPECT_FALSE(invalid_topic_name(std::string(249, 'a')));
}

}  // namespace
}  // namespace drover::outputs
