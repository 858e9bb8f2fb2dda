// The configuration as `drover run` and `drover check` read it: TOML text → a validated
// pipeline, or a ConfigError whose every problem is printed. Whatever the text, the result is
// one or the other: no crash, no other exception, and no problem without words.
#include "agent/pipeline_config.h"
#include "agent/registry.h"
#include "config/config_error.h"
#include "inputs/builtin.h"
#include "outputs/builtin.h"
#include "tests/fuzz/fuzz_input.h"

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace {

const drover::Registry& registry() {
  static const drover::Registry registry = [] {
    drover::Registry r;
    drover::inputs::register_builtin_inputs(r);
    drover::outputs::register_builtin_outputs(r);
    return r;
  }();
  return registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const drover::PipelineConfig config =
        drover::parse_pipeline_config(text, "fuzz.toml", registry());
    if (config.outputs.empty() && config.inputs.empty()) {
      drover::fuzz::fail("a config without inputs or outputs was accepted");
    }
  } catch (const drover::ConfigError& e) {
    if (e.problems().empty()) drover::fuzz::fail("a ConfigError without problems");
    std::string printed;  // as drover check prints them
    for (const auto& problem : e.problems()) {
      if (problem.empty()) drover::fuzz::fail("an empty problem");
      printed += fmt::format("  {}\n", problem);
    }
  }
  return 0;
}
