#include "agent/pipeline_config.h"

#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

Registry builtin() {
  Registry registry;
  inputs::register_builtin_inputs(registry);
  outputs::register_builtin_outputs(registry);
  return registry;
}

std::vector<std::string> problems_of(const std::string& text) {
  try {
    parse_pipeline_config(text, "drover.toml", builtin());
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

// Problems of a minimal file → kafka pipeline plus `kafka_lines`, which start at line 9 of
// [outputs.k].
std::vector<std::string> kafka_output_problems(const std::string& kafka_lines) {
  return problems_of(R"([inputs.app]
type = "file"
include = ["/x/*.log"]

[outputs.k]
type = "kafka"
inputs = ["app"]
brokers = ["b:9092"]
)" + kafka_lines);
}

constexpr const char* kValid = R"(
[agent]
data_dir = "/tmp/drover-test"
shutdown_timeout = "5s"

[inputs.app]
type = "file"
include = ["/var/log/app/*.log"]

[outputs.kafka]
type = "kafka"
inputs = ["app"]
brokers = ["localhost:9092"]
topic = "logs.{input}"
compression = "zstd"
linger = "20ms"
batch_bytes = "512KiB"
queue = { memory_bytes = "16MiB", disk_bytes = "2GiB", when_full = "drop_oldest", fsync = "500ms", spill_after = "250ms" }

[outputs.kafka.librdkafka]
"socket.keepalive.enable" = true
)";

TEST(PipelineConfigTest, ValidConfigBuildsSpecs) {
  PipelineConfig config = parse_pipeline_config(kValid, "drover.toml", builtin());
  EXPECT_EQ(config.agent.data_dir, "/tmp/drover-test");
  EXPECT_EQ(config.agent.shutdown_timeout, std::chrono::seconds(5));
  ASSERT_EQ(config.inputs.size(), 1U);
  EXPECT_EQ(config.inputs[0].type, "file");
  ASSERT_EQ(config.outputs.size(), 1U);
  EXPECT_EQ(config.outputs[0].inputs, std::vector<std::string>{"app"});
  const QueueOptions& queue = config.outputs[0].queue;
  EXPECT_EQ(queue.memory_bytes, 16U << 20);
  EXPECT_EQ(queue.disk_bytes, 2ULL << 30);
  EXPECT_EQ(queue.when_full, QueueOptions::WhenFull::kDropOldest);
  EXPECT_EQ(queue.fsync, QueueOptions::Fsync::kInterval);
  EXPECT_EQ(queue.fsync_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(queue.spill_after, std::chrono::milliseconds(250));
}

TEST(PipelineConfigTest, QueueDefaultsAndMistakes) {
  PipelineConfig config = parse_pipeline_config(R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]
[outputs.out]
type = "stdout"
inputs = ["app"]
)",
                                                "drover.toml", builtin());
  const QueueOptions& queue = config.outputs[0].queue;
  EXPECT_EQ(queue.memory_bytes, 10U << 20);
  EXPECT_EQ(queue.disk_bytes, 1ULL << 30);
  EXPECT_EQ(queue.when_full, QueueOptions::WhenFull::kBlock);
  EXPECT_EQ(queue.fsync, QueueOptions::Fsync::kEveryBatch);
  EXPECT_EQ(queue.spill_after, std::chrono::seconds(1));

  const auto problems = problems_of(R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]
[outputs.out]
type = "stdout"
inputs = ["app"]
queue = { disk_bytes = "10KiB", when_full = "spill", fsync = "sometimes", spill_after = "soon" }
)");
  ASSERT_EQ(problems.size(), 4U) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("outputs.out.queue.disk_bytes: must be 0"), std::string::npos);
  EXPECT_NE(problems[1].find("outputs.out.queue.when_full"), std::string::npos);
  EXPECT_NE(problems[2].find("outputs.out.queue.spill_after"), std::string::npos);
  EXPECT_NE(problems[3].find("outputs.out.queue.fsync: 'sometimes'"), std::string::npos);
}

TEST(PipelineConfigTest, ReportsEveryProblemAtOnceWithItsLine) {
  const auto problems = problems_of(R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]
start_at = "middle"

[outputs.kafka]
type = "kafka"
inputs = ["app", "ghost"]
brokers = ["localhost:9092"]
compresion = "lz4"
linger = 50
)");
  ASSERT_EQ(problems.size(), 4U) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0],
            "drover.toml:4: inputs.app.start_at: 'middle' is not one of: beginning, end");
  EXPECT_EQ(problems[1],
            "drover.toml:8: outputs.kafka.inputs: 'ghost' is not a defined input (defined: app)");
  EXPECT_EQ(problems[2],
            "drover.toml:10: outputs.kafka.compresion: unknown key (did you mean 'compression'?)");
  EXPECT_EQ(problems[3],
            "drover.toml:11: outputs.kafka.linger: expected a duration string such as \"10s\", "
            "found an integer");
}

TEST(PipelineConfigTest, StandardInputIsReadByOneInputOnly) {
  EXPECT_EQ(problems_of(R"([inputs.a]
type = "stdin"

[inputs.b]
type = "stdin"

[outputs.k]
type = "kafka"
inputs = ["a", "b"]
brokers = ["localhost:9092"]
topic = "t"
)"),
            (std::vector<std::string>{"drover.toml:5: inputs.b.type: a second stdin input: "
                                      "standard input is one stream, read by one"}));
}

TEST(PipelineConfigTest, SyntaxErrorNamesTheLine) {
  const auto problems = problems_of("[inputs.app]\ntype = \"file\"\ninclude = [\"/x\"\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].rfind("drover.toml:", 0), 0U) << problems[0];
  EXPECT_NE(problems[0].find("TOML syntax error"), std::string::npos);
}

// Found by the config fuzz target: toml11 3.7.1 read out of bounds (and aborted on an assertion
// in `drover check`) for a byte that is not UTF-8 inside a literal string.
TEST(PipelineConfigTest, ByteThatIsNotUtf8IsAnErrorNamingItsLine) {
  const auto problems = problems_of("[agent]\nhost = 'web-\xff'\n");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0],
            "drover.toml:2: byte 20 (0xff) is not UTF-8: a TOML file must be UTF-8 throughout");
  EXPECT_EQ(problems_of("# caf\xc3\xa9 is fine\n[inputs.a]\ntype = \"file\"\n"
                        "include = ['/x/caf\xc3\xa9/*.log']\n[outputs.o]\ntype = \"stdout\"\n"
                        "inputs = [\"a\"]\n"),
            std::vector<std::string>{});
}

TEST(PipelineConfigTest, AnAdminEndpointOtherHostsReachNeedsATokenFile) {
  const std::string pipeline =
      "[inputs.a]\ntype = \"file\"\ninclude = ['/x/*.log']\n[outputs.o]\ntype = \"stdout\"\n"
      "inputs = [\"a\"]\n";
  const auto problems = problems_of("[agent]\nadmin_address = \"0.0.0.0:9899\"\n" + pipeline);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].rfind("drover.toml:2: agent.admin_address: 0.0.0.0:9899 can be reached "
                              "from other hosts: set admin_token_file",
                              0),
            0U)
      << problems[0];
  EXPECT_TRUE(problems_of("[agent]\nadmin_address = \"127.0.0.1:9899\"\n" + pipeline).empty());
  const auto unreadable = problems_of(
      "[agent]\nadmin_address = \"0.0.0.0:9899\"\nadmin_token_file = \"/nonexistent/tokens\"\n" +
      pipeline);
  ASSERT_EQ(unreadable.size(), 1U);
  EXPECT_NE(unreadable[0].find("agent.admin_token_file: cannot read the token file "
                               "/nonexistent/tokens"),
            std::string::npos)
      << unreadable[0];
}

TEST(PipelineConfigTest, UnknownTypeListsKnownTypes) {
  const auto problems = problems_of(R"([inputs.app]
type = "file"
include = ["/x/*.log"]

[outputs.out]
type = "elasticsearch"
inputs = ["app"]
hosts = ["x"]
)");
  ASSERT_EQ(problems.size(), 1U) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0],
            "drover.toml:6: outputs.out.type: unknown output type 'elasticsearch' (known: kafka, "
            "stdout)");
}

TEST(PipelineConfigTest, MissingRequiredKeysAndUnusedInput) {
  const auto problems = problems_of(R"([inputs.app]
type = "file"

[inputs.unused]
type = "file"
include = ["/y/*.log"]

[outputs.out]
type = "stdout"
inputs = ["app"]
)");
  ASSERT_EQ(problems.size(), 2U) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("inputs.app.include: is required"), std::string::npos);
  EXPECT_NE(problems[1].find("drover.toml:4: inputs.unused: is not read by any output"),
            std::string::npos);
}

TEST(PipelineConfigTest, LibrdkafkaRejectsBadPassThroughValue) {
  const auto problems =
      kafka_output_problems(R"(librdkafka = { "socket.timeout.ms" = "soon", "no.such.property" = 1 }
)");
  ASSERT_EQ(problems.size(), 2U) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("drover.toml:9: outputs.k.librdkafka: librdkafka refuses"),
            std::string::npos);
}

TEST(PipelineConfigTest, PassThroughMayNotOverrideFirstClassKeys) {
  const auto problems = kafka_output_problems(R"(librdkafka = { "compression.codec" = "gzip" }
)");
  ASSERT_EQ(problems.size(), 1U) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find("use that instead"), std::string::npos);
}

TEST(PipelineConfigTest, IdempotenceNeedsAcksAll) {
  const auto problems = kafka_output_problems(R"(acks = "1"
)");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("drover.toml:9: outputs.k.acks"), std::string::npos);
}

TEST(PipelineConfigTest, TopicTemplateWithUnknownFieldIsAnError) {
  const auto problems = kafka_output_problems(R"(topic = "logs.{service}"
)");
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("unknown field {service}"), std::string::npos);
}

TEST(PipelineConfigTest, KafkaCompressionLevelAndPartitionAreChecked) {
  const auto problems = kafka_output_problems(R"(compression = "gzip"
compression_level = 11
partition = -1
)");
  ASSERT_EQ(problems.size(), 2U) << ::testing::PrintToString(problems);
  EXPECT_EQ(problems[0], "drover.toml:10: outputs.k.compression_level: gzip levels go from 0 to 9");
  EXPECT_EQ(problems[1], "drover.toml:11: outputs.k.partition: -1 is out of range [0, 1000000]");
}

TEST(PipelineConfigTest, EmptyConfigSaysWhatIsMissing) {
  const auto problems = problems_of("");
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_NE(problems[0].find("no input is defined"), std::string::npos);
}

}  // namespace
}  // namespace drover
