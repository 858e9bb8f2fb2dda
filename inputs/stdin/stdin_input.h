// `type = "stdin"`: the console producer. Lines from standard input (or any descriptor: tests)
// become records as a file's lines do (codec, JSON parser, multiline), with an optional key
// before a separator. At the end of input it sends what it holds, waits up to drain_timeout
// for Kafka's acknowledgements, prints a one-line summary and asks drover to stop, exiting 1
// if anything was not delivered (or a line had no key). No checkpoint: a pipe cannot be read
// again.
#pragma once

#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "agent/wake_fd.h"
#include "inputs/common/json_line.h"
#include "inputs/common/line_splitter.h"
#include "inputs/common/multiline.h"
#include "inputs/common/record_encoder.h"
#include "inputs/stdin/delivery_tally.h"
#include "inputs/stdin/stdin_config.h"

#include <memory>
#include <optional>
#include <string>

namespace drover::inputs {

class StdinInput final : public Input {
 public:
  StdinInput(StdinConfig config, const ComponentContext& context, int fd = 0);
  Status run(BatchSink& out, std::stop_token stop) override;

 private:
  void add_line(const Line& line);
  void add_record(const Line& record);
  bool push(BatchSink& out, std::stop_token stop);
  /// Sends what is left, waits for the acks and says how it went; the process's exit code.
  int finish(BatchSink& out, std::stop_token stop);
  void show_progress(bool last);

  StdinConfig config_;
  ComponentContext context_;
  int fd_;
  WakeFd wake_;  // stop
  std::shared_ptr<const SourceInfo> source_;
  RecordEncoder encoder_;
  LineSplitter splitter_;
  std::optional<JsonLineParser> json_;
  std::optional<MultilineJoiner> multiline_;
  std::shared_ptr<DeliveryTally> tally_ = std::make_shared<DeliveryTally>();
  std::shared_ptr<Batch> batch_;
  std::string timestamp_;  // of the current read
  uint64_t lines_without_key_ = 0;
  bool progress_ = false;  // a progress line on the terminal

  Counter* records_;
  Counter* bytes_;
  Counter* truncated_;
  Counter* invalid_utf8_;
  Counter* missing_key_;
  Counter* read_errors_;
  LogLimiter missing_key_log_{std::chrono::seconds(10)};
};

}  // namespace drover::inputs
