// drover's stderr has one format: its own lines and librdkafka's (which would otherwise print
// "%3|1796520250.449|FAIL|..." to stderr), as text or as one JSON object per line.
#include "tests/support/drover_process.h"
#include "tests/support/minimal_pipeline.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>
#include <sstream>

namespace drover {
namespace {

using testing::DroverProcess;
using testing::TempDir;
using testing::wait_until;

// Nothing listens on port 1: librdkafka logs its failed connections.
std::string unreachable_brokers_config(const TempDir& dir, const std::string& format) {
  const auto path = dir / "drover.toml";
  std::filesystem::create_directories(dir / "logs");
  testing::write_file(
      path, testing::minimal_pipeline(
                dir.path(), "127.0.0.1:1",
                fmt::format("admin_address = \"\"\nshutdown_timeout = \"1s\"\nlog_format = \"{}\"",
                            format)));
  return path.string();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST(LoggingTest, LibrdkafkaLinesComeInDroversFormatNamingTheOutput) {
  TempDir dir;
  DroverProcess drover({"run", "--config", unreachable_brokers_config(dir, "text")}, dir / "out",
                       dir / "err");
  ASSERT_TRUE(wait_until([&] {
    return drover.log().find("output kafka: librdkafka FAIL: ") != std::string::npos;
  })) << drover.log();
  drover.signal(SIGTERM);
  EXPECT_EQ(drover.wait_exit(), 0);
  // At start, as a warning in the same format: running as root is worth an operator's look.
  EXPECT_EQ(drover.log().find("warning running as root") != std::string::npos, ::geteuid() == 0)
      << drover.log();
  const std::regex raw(R"(^%\d\|\d+\.\d+\|)");
  const std::regex ours(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \w+ )");
  for (const auto& line : lines_of(drover.log())) {
    EXPECT_FALSE(std::regex_search(line, raw)) << line;
    // The stop summary's counter lines continue the line before them.
    if (!line.starts_with("drover_")) {
      EXPECT_TRUE(std::regex_search(line, ours)) << line;
    }
  }
}

TEST(LoggingTest, JsonFormatIsOneObjectPerLineLibrdkafkaIncluded) {
  TempDir dir;
  DroverProcess drover({"run", "--config", unreachable_brokers_config(dir, "json")}, dir / "out",
                       dir / "err");
  ASSERT_TRUE(wait_until([&] {
    return drover.log().find(R"("component":"librdkafka")") != std::string::npos;
  })) << drover.log();
  drover.signal(SIGTERM);
  EXPECT_EQ(drover.wait_exit(), 0);
  simdjson::dom::parser parser;
  size_t from_librdkafka = 0;
  const auto lines = lines_of(drover.log());
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    simdjson::dom::object object;
    ASSERT_EQ(parser.parse(line).get(object), simdjson::SUCCESS) << line;
    std::string_view time, level, component, message;
    EXPECT_EQ(object["time"].get(time), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["level"].get(level), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["component"].get(component), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["message"].get(message), simdjson::SUCCESS) << line;
    if (component == "librdkafka") {
      ++from_librdkafka;
      std::string_view output, facility;
      EXPECT_EQ(object["output"].get(output), simdjson::SUCCESS) << line;
      EXPECT_EQ(output, "kafka");
      EXPECT_EQ(object["facility"].get(facility), simdjson::SUCCESS) << line;
    }
  }
  EXPECT_GT(from_librdkafka, 0U);
}

}  // namespace
}  // namespace drover
