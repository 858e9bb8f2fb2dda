// `type = "host_metrics"`: every `interval`, one record of the host's CPU, memory, load,
// network, disk and filesystem figures (rates from the reading before), or with
// `schema = "otel"` one record per OpenTelemetry data point. Nothing to commit: when
// the queues have no room, samples wait (up to max_pending_samples) and then the oldest are
// dropped and counted (I4: metrics give way first).
#pragma once

#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "inputs/host_metrics/host_metrics_config.h"
#include "inputs/host_metrics/host_sample.h"

#include <deque>
#include <memory>

namespace drover::inputs {

class HostMetricsInput final : public Input {
 public:
  HostMetricsInput(HostMetricsConfig config, const ComponentContext& context);
  Status run(BatchSink& out, std::stop_token stop) override;

 private:
  /// The reading's records, all in one batch (a sample waits and is dropped whole).
  std::shared_ptr<Batch> record_of(const HostSample& now, const HostSample& before) const;
  /// Queues what waits, oldest first, while there is room.
  void push_pending(BatchSink& out, std::stop_token stop);

  HostMetricsConfig config_;
  ComponentContext context_;
  std::shared_ptr<const SourceInfo> source_;
  std::string envelope_tail_;  // ","host":"…","input":"…","interval_s":…
  std::deque<std::shared_ptr<Batch>> pending_;
  Counter* records_;
  Counter* dropped_;
  Counter* read_errors_;
  Counter* counter_resets_;
  LogLimiter read_error_log_{std::chrono::minutes(10)};
  LogLimiter reset_log_{std::chrono::minutes(10)};
  LogLimiter dropped_log_{std::chrono::minutes(1)};
};

}  // namespace drover::inputs
