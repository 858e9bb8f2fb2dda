// The drover binary's command line, as an operator meets it.
#include "tests/support/drover_process.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::run_drover;
using testing::TempDir;

TEST(CliTest, VersionAndHelp) {
  auto [code, out] = run_drover({"--version"});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("drover ", 0), 0U);
  std::tie(code, out) = run_drover({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("drover check"), std::string::npos);
}

TEST(CliTest, UnknownArgumentIsAUsageError) {
  auto [code, out] = run_drover({"frobnicate"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("unexpected argument 'frobnicate'"), std::string::npos);
}

TEST(CliTest, CheckAcceptsAValidConfig) {
  TempDir dir;
  testing::write_file(dir / "ok.toml", R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]

[outputs.out]
type = "stdout"
inputs = ["app"]
)");
  auto [code, out] = run_drover({"check", "--config", (dir / "ok.toml").string()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("configuration is valid"), std::string::npos);
}

TEST(CliTest, CheckListsThreeDifferentMistakesEachWithItsLine) {
  TempDir dir;
  const std::string file = (dir / "bad.toml").string();
  testing::write_file(file, R"([inputs.app]
type = "file"
include = ["/var/log/*.log"]
codec = "xml"

[outputs.kafka]
type = "kafka"
inputs = ["app", "metrics"]
brokers = ["localhost:9092"]
linger = "soon"
)");
  auto [code, out] = run_drover({"check", "--config", file});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("3 problem(s)"), std::string::npos) << out;
  EXPECT_NE(out.find(file + ":4: inputs.app.codec: 'xml' is not one of: json, raw"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(file + ":8: outputs.kafka.inputs: 'metrics' is not a defined input"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(file + ":10: outputs.kafka.linger: 'soon' is not a duration"),
            std::string::npos)
      << out;
}

TEST(CliTest, MissingConfigFileIsReported) {
  auto [code, out] = run_drover({"check", "--config", "/nonexistent/drover.toml"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("/nonexistent/drover.toml: cannot read the config file"), std::string::npos);
}

}  // namespace
}  // namespace drover
