#include "inputs/host_metrics/host_metrics_input.h"

#include "agent/json_escape.h"
#include "inputs/common/record_encoder.h"
#include "inputs/host_metrics/otel_points.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace drover::inputs {
namespace {

// A sample that finds no room waits for the next tick rather than holding this thread.
constexpr auto kPushWait = std::chrono::milliseconds(100);

}  // namespace

HostMetricsInput::HostMetricsInput(HostMetricsConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      source_(std::make_shared<SourceInfo>(SourceInfo{context.name, context.host, ""})) {
  envelope_tail_ = "\",\"host\":\"";
  append_json_escaped(envelope_tail_, context.host);
  envelope_tail_ += "\",\"input\":\"";
  append_json_escaped(envelope_tail_, context.name);
  envelope_tail_ += fmt::format("\",\"interval_s\":{:g}",
                                std::chrono::duration<double>(config_.interval).count());
  Metrics& m = *context_.metrics;
  const Labels labels{{"input", context_.name}};
  records_ = &m.counter("drover_input_records_total", labels);
  dropped_ = &m.counter("drover_input_dropped_records_total",
                        {{"input", context_.name}, {"reason", "queue_full"}});
  read_errors_ = &m.counter("drover_input_read_errors_total", labels);
  counter_resets_ = &m.counter("drover_host_metrics_counter_resets_total", labels);
}

std::shared_ptr<Batch> HostMetricsInput::record_of(const HostSample& now,
                                                   const HostSample& before) const {
  auto batch = std::make_shared<Batch>(source_, unix_ms_now());
  if (config_.schema == MetricsSchema::kOtel) {
    std::string envelope = "{\"@timestamp\":\"";
    append_timestamp(envelope, batch->timestamp_ms());
    envelope += envelope_tail_;
    envelope += ",\"resource\":";
    envelope += otel_resource(now, context_.host);
    envelope += ',';
    for_each_otel_point(now, before, [&](std::string_view point) {
      batch->start_record();
      batch->buffer() += envelope;
      batch->buffer() += point;
      batch->buffer() += '}';
      batch->seal_record();
    });
    return batch;
  }
  batch->start_record();
  std::string& out = batch->buffer();
  out += "{\"@timestamp\":\"";
  append_timestamp(out, batch->timestamp_ms());
  out += envelope_tail_;
  std::string metrics;
  append_host_metrics(metrics, now, before);
  if (!metrics.empty()) {
    out += ',';
    out += metrics;
  }
  out += '}';
  batch->seal_record();
  return batch;
}

Status HostMetricsInput::run(BatchSink& out, std::stop_token stop) {
  spdlog::info("input {}: host metrics ({}) every {} ms from {}", context_.name,
               fmt::join(config_.collectors, ", "), config_.interval.count(), config_.proc_dir);
  HostSample before = read_host_sample(config_);
  auto next = before.taken + config_.interval;
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      if (wake.wait_until(lock, stop, next, [] { return false; }) || stop.stop_requested()) break;
    }
    HostSample now = read_host_sample(config_);
    if (!now.errors.empty()) {
      read_errors_->add(now.errors.size());
      if (auto suppressed = read_error_log_.allow()) {
        spdlog::warn("input {}: {}; the record goes without it{}", context_.name,
                     fmt::join(now.errors, "; "),
                     *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
    }
    if (const auto resets = counter_resets(now, before); !resets.empty()) {
      counter_resets_->add(resets.size());
      if (auto suppressed = reset_log_.allow()) {
        spdlog::info(
            "input {}: {} went backwards since the reading before (a reboot, a reset, a device "
            "replaced); the record goes without their rates this time{}",
            context_.name, fmt::join(resets, ", "),
            *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
    }
    if (auto batch = record_of(now, before); !batch->empty()) pending_.push_back(std::move(batch));
    before = std::move(now);
    if (pending_.size() > config_.max_pending_samples) {
      dropped_->add(pending_.front()->record_count());
      pending_.pop_front();
      if (auto suppressed = dropped_log_.allow()) {
        spdlog::warn("input {}: the queues have had no room for {} samples; dropping the oldest{}",
                     context_.name, config_.max_pending_samples,
                     *suppressed ? fmt::format(" ({} more dropped)", *suppressed) : "");
      }
    }
    push_pending(out, stop);
    next += config_.interval;
    // Behind (the machine slept, or pushes waited): the next reading is an interval from now.
    if (next <= std::chrono::steady_clock::now())
      next = std::chrono::steady_clock::now() + config_.interval;
  }
  return Status::ok();
}

void HostMetricsInput::push_pending(BatchSink& out, std::stop_token stop) {
  while (!pending_.empty()) {
    if (out.push_until(pending_.front(), stop, std::chrono::steady_clock::now() + kPushWait) !=
        PushResult::kQueued) {
      return;
    }
    records_->add(pending_.front()->record_count());
    pending_.pop_front();
  }
}

}  // namespace drover::inputs
