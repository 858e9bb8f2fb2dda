#include "outputs/stdout/stdout_output.h"

#include <cstdio>

namespace drover::outputs {

StdoutOutputConfig parse_stdout_output_config(config::TomlReader&) { return {}; }

StdoutOutput::StdoutOutput(StdoutOutputConfig, const ComponentContext& context)
    : records_(&context.metrics->counter("drover_output_records_delivered_total",
                                         {{"output", context.name}})) {}

Status StdoutOutput::run(BatchQueue& queue, std::stop_token stop) {
  while (!stop.stop_requested() && !queue.closed_and_empty()) {
    auto batch = queue.pop_for(std::chrono::milliseconds(100));
    if (!batch) continue;
    const Batch& b = **batch;
    for (size_t i = 0; i < b.record_count(); ++i) {
      const std::string_view record = b.record(i);
      std::fwrite(record.data(), 1, record.size(), stdout);
      std::fputc('\n', stdout);
    }
    if (std::fflush(stdout) != 0) return Error{"cannot write to standard output"};
    records_->add(b.record_count());
    b.complete();
  }
  return Status::ok();
}

}  // namespace drover::outputs
