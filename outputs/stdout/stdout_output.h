// `type = "stdout"`: one record per line on standard output, for looking at a pipeline.
// A batch is complete once it is written and flushed.
#pragma once

#include "agent/plugin.h"
#include "config/toml_reader.h"

namespace drover::outputs {

struct StdoutOutputConfig {};

StdoutOutputConfig parse_stdout_output_config(config::TomlReader& reader);

class StdoutOutput final : public Output {
 public:
  StdoutOutput(StdoutOutputConfig config, const ComponentContext& context);
  Status run(BatchQueue& queue, std::stop_token stop) override;

 private:
  Counter* records_;
};

}  // namespace drover::outputs
