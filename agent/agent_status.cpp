// Agent::status_json(): what GET /status serves — one JSON document a person can read and a
// script can parse: version, uptime, config and last reload, each input and output with its
// own details, and the record-accounting equation (I8) with its current terms. Admin thread.
#include "agent/agent.h"

#include <fmt/format.h>

#include <unistd.h>

namespace drover {

void Agent::set_config_file(std::string file) {
  std::lock_guard lock(status_mutex_);
  config_file_ = std::move(file);
}

void Agent::note_reload(ReloadRecord record) {
  std::lock_guard lock(status_mutex_);
  last_reload_ = std::move(record);
}

Agent::Totals Agent::totals() {
  Totals totals;
  std::lock_guard lock(components_mutex_);
  for (const auto& [name, output] : outputs_) {
    totals.delivered += metrics_.value("drover_output_records_delivered_total", {{"output", name}});
    totals.queue_memory_bytes += output->queue->bytes();
    totals.queue_disk_bytes += output->queue->disk_bytes();
  }
  return totals;
}

std::string Agent::not_ready() const {
  if (phase_ == Phase::kStopping) return "stopping";
  const std::vector<std::string> work = progress_.running();
  if (!work.empty()) return fmt::format("{}", fmt::join(work, "; "));
  if (phase_ == Phase::kStarting) return "starting";
  // A running drover that cannot do its job (its brokers refuse it, a topic is refused) is not
  // ready either: the same lines /healthz gives.
  std::string problems = health_.render();
  for (size_t at; (at = problems.find('\n')) != std::string::npos;) {
    problems.replace(at, 1, at + 1 == problems.size() ? "" : "; ");
  }
  return problems;
}

void Agent::describe_input(JsonWriter& out, const std::string& name, RunningInput& input) {
  const Labels labels{{"input", name}};
  out.key(name).begin_object().member("type", input.spec.type);
  out.member("records", metrics_.value("drover_input_records_total", labels));
  out.member("bytes", metrics_.value("drover_input_bytes_total", labels));
  out.key("dropped").begin_object();
  for (const auto& [reason, n] :
       metrics_.by_label("drover_input_dropped_records_total", {"input", name}, "reason")) {
    out.member(reason, n);
  }
  out.end_object();
  input.input->describe(out);
  out.end_object();
}

void Agent::describe_output(JsonWriter& out, const std::string& name, RunningOutput& output) {
  const Labels labels{{"output", name}};
  const auto counter = [&](const char* metric) { return metrics_.value(metric, labels); };
  const std::string component = "output " + name;
  out.key(name).begin_object().member("type", output.spec.type);
  out.key("inputs").begin_array();
  for (const auto& input : output.spec.inputs) out.value(input);
  out.end_array();
  if (output.spec.type == "kafka") {
    out.key("brokers").begin_object();
    out.member("up", metrics_.value("drover_kafka_brokers", {{"output", name}, {"state", "up"}}));
    out.member("down",
               metrics_.value("drover_kafka_brokers", {{"output", name}, {"state", "down"}}));
    out.end_object();
  }
  out.key("queue").begin_object();
  out.member("memory_bytes", static_cast<uint64_t>(output.queue->bytes()));
  out.member("memory_batches", static_cast<uint64_t>(output.queue->batches()));
  out.member("disk_bytes", output.queue->disk_bytes());
  out.end_object();
  out.key("parked_routes").begin_array();
  for (const auto& [key, why] : health_.problems_of(component)) {
    if (key.starts_with("topic ")) {
      out.begin_object().member("topic", key.substr(6)).member("why", why).end_object();
    }
  }
  out.end_array();
  out.key("last_error");
  if (auto error = health_.last_error(component)) {
    out.begin_object().member("time", format_utc(error->at)).member("message", error->text);
    out.end_object();
  } else {
    out.null();
  }
  // I8: every record the output took from its queue is delivered, dead-lettered, still in
  // flight, or was given back (abandoned at a stop or reload, and queued again).
  const uint64_t received = counter("drover_output_records_received_total");
  const uint64_t delivered = counter("drover_output_records_delivered_total");
  const uint64_t dead_lettered = counter("drover_output_records_dead_lettered_total");
  const uint64_t in_flight = counter("drover_output_records_in_flight");
  const uint64_t abandoned = counter("drover_output_records_abandoned_total");
  out.key("accounting").begin_object();
  out.member("received", received).member("delivered", delivered);
  out.member("dead_lettered", dead_lettered).member("in_flight", in_flight);
  out.member("given_back", abandoned);
  out.member("dropped_by_queue", metrics_.value("drover_queue_dropped_records_total",
                                                {{"output", name}, {"reason", "queue_full"}}));
  out.member("balanced", received == delivered + dead_lettered + in_flight + abandoned);
  out.member("equation", "received = delivered + dead_lettered + in_flight + given_back");
  out.end_object();
  output.output->describe(out);
  out.end_object();
}

std::string Agent::status_json() {
  JsonWriter out;
  const auto now = std::chrono::system_clock::now();
  out.begin_object();
  out.member("version", DROVER_VERSION).member("pid", static_cast<int64_t>(::getpid()));
  out.member("started", format_utc(started_at_));
  out.member("uptime_seconds", std::chrono::duration<double>(now - started_at_).count());
  const std::string why_not = not_ready();
  out.member("ready", why_not.empty());
  if (!why_not.empty()) out.member("not_ready", why_not);
  out.key("starting").begin_array();
  for (const auto& line : progress_.running()) out.value(line);
  out.end_array();
  {
    std::lock_guard lock(status_mutex_);
    out.key("config").begin_object().member("file", config_file_);
    out.key("last_reload");
    if (last_reload_) {
      out.begin_object().member("time", format_utc(last_reload_->at));
      out.member("result", last_reload_->ok ? "ok" : "failed");
      if (last_reload_->ok) out.member("changed", last_reload_->summary);
      out.key("problems").begin_array();
      for (const auto& problem : last_reload_->problems) out.value(problem);
      out.end_array().end_object();
    } else {
      out.null();
    }
    out.end_object();
  }
  out.key("reloads").begin_object();
  out.member("ok", metrics_.value("drover_reloads_total", {{"result", "ok"}}));
  out.member("failed", metrics_.value("drover_reloads_total", {{"result", "failed"}}));
  out.end_object();
  out.key("problems").begin_array();
  const std::string problems = health_.render();
  for (size_t at = 0; at < problems.size();) {
    const size_t end = problems.find('\n', at);
    out.value(std::string_view(problems).substr(at, end - at));
    at = end == std::string::npos ? problems.size() : end + 1;
  }
  out.end_array();
  std::lock_guard components(components_mutex_);
  out.key("inputs").begin_object();
  for (auto& [name, input] : inputs_) describe_input(out, name, *input);
  out.end_object();
  out.key("outputs").begin_object();
  for (auto& [name, output] : outputs_) describe_output(out, name, *output);
  out.end_object();
  out.end_object();
  return out.str();
}

}  // namespace drover
