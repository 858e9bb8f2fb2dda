#include "agent/reload_plan.h"

#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

PipelineConfig parse(const std::string& text) {
  Registry registry;
  inputs::register_builtin_inputs(registry);
  outputs::register_builtin_outputs(registry);
  return parse_pipeline_config(text, "drover.toml", registry);
}

// A file input and a Kafka output, then `extra` appended.
std::string base(const std::string& extra = "", const std::string& app_lines = "",
                 const std::string& kafka_lines = "", const std::string& reads = R"("app")") {
  return R"([agent]
data_dir = "/tmp/drover-test"

[inputs.app]
type = "file"
include = ["/var/log/app/*.log"]
)" + app_lines +
         R"(
[outputs.kafka]
type = "kafka"
inputs = [)" +
         reads + R"(]
brokers = ["localhost:9092"]
linger = "20ms"
)" + kafka_lines +
         extra;
}

TEST(ReloadPlanTest, TheSameSettingsWrittenDifferentlyChangeNothing) {
  const PipelineConfig running = parse(base());
  const PipelineConfig next = parse(R"(
# a comment, keys in another order, an inline table
[outputs.kafka]
linger = "20ms"
brokers = [ "localhost:9092" ]
inputs = ["app"]
type = "kafka"

[inputs]
app = { include = ["/var/log/app/*.log"], type = "file" }

[agent]
data_dir = "/tmp/drover-test"
)");
  const ReloadPlan plan = plan_reload(running, next);
  EXPECT_TRUE(plan.changes_nothing()) << plan.summary();
  EXPECT_EQ(plan.summary(), "nothing changed");
}

TEST(ReloadPlanTest, AChangedSettingRestartsOnlyItsComponent) {
  const ReloadPlan plan =
      plan_reload(parse(base()), parse(base("", "", R"(compression = "zstd")")));
  EXPECT_EQ(plan.outputs_changed, std::vector<std::string>{"kafka"});
  EXPECT_TRUE(plan.inputs_changed.empty());
  EXPECT_EQ(plan.summary(), "outputs ~kafka");
}

TEST(ReloadPlanTest, AnAddedInputChangesTheRoutesNotTheOutput) {
  const std::string b = R"(
[inputs.b]
type = "file"
include = ["/var/log/b/*.log"]
)";
  const ReloadPlan plan = plan_reload(parse(base()), parse(base(b, "", "", R"("app", "b")")));
  EXPECT_EQ(plan.inputs_added, std::vector<std::string>{"b"});
  EXPECT_TRUE(plan.outputs_changed.empty());
  EXPECT_EQ(plan.routes_changed, std::vector<std::string>{"kafka"});
  EXPECT_EQ(plan.summary(), "inputs +b; routes of kafka");

  const ReloadPlan back = plan_reload(parse(base(b, "", "", R"("app", "b")")), parse(base()));
  EXPECT_EQ(back.inputs_removed, std::vector<std::string>{"b"});
}

TEST(ReloadPlanTest, AnInputWithOtherSettingsOrAnotherTypeIsReplaced) {
  const ReloadPlan plan = plan_reload(parse(base()), parse(base("", R"(exclude = ["*.gz"])"
                                                                    "\n")));
  EXPECT_EQ(plan.inputs_changed, std::vector<std::string>{"app"});
  EXPECT_EQ(plan.summary(), "inputs ~app");
}

TEST(ReloadPlanTest, SettingsThatApplyOnlyAtStartAreNamedAndTheRestStillApplies) {
  std::string next = base("", "", "queue = { memory_bytes = \"8MiB\" }\n");
  next.replace(next.find("/tmp/drover-test"), 16, "/tmp/elsewhere");
  next.replace(next.find("[agent]"), 7, "[agent]\nlog_level = \"debug\"");
  const ReloadPlan plan = plan_reload(parse(base()), parse(next));
  EXPECT_EQ(plan.need_restart, (std::vector<std::string>{"outputs.kafka.queue", "agent.data_dir"}));
  EXPECT_EQ(plan.agent_changed, std::vector<std::string>{"log_level"});
  EXPECT_TRUE(plan.outputs_changed.empty()) << "the queue alone does not restart the output";
}

}  // namespace
}  // namespace drover
