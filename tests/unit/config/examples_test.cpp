// Every example config in config/examples (and the packaged default) must stay valid.
#include "agent/pipeline_config.h"
#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace drover {
namespace {

TEST(ExamplesTest, EveryExampleConfigIsValid) {
  Registry registry;
  inputs::register_builtin_inputs(registry);
  outputs::register_builtin_outputs(registry);
  std::vector<std::filesystem::path> files{std::filesystem::path(DROVER_SOURCE_DIR) / "packaging" /
                                           "drover.toml"};
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(DROVER_SOURCE_DIR) / "config" / "examples")) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  ASSERT_GE(files.size(), 3U);
  for (const auto& file : files) {
    try {
      load_pipeline_config(file, registry);
    } catch (const ConfigError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace drover
