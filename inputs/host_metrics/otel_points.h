// Two readings as OpenTelemetry's system.* metrics, one record per data point, named, typed and
// with the attributes the OpenTelemetry Collector's hostmetrics receiver gives them (state,
// device, direction, mountpoint...), so that they sit next to its data in the same queries.
// What the conventions have no name for (pressure, threads, context switches) is drover.system.*.
// README's "Host metrics as OpenTelemetry metrics" has the whole mapping.
#pragma once

#include "inputs/host_metrics/host_sample.h"

#include <functional>
#include <string>
#include <string_view>

namespace drover::inputs {

/// {"host.name":…,"os.type":"linux",…}: the host as OpenTelemetry resource attributes. The
/// host collector's hostname wins over `host_name` (the agent's), as it is the host's own when
/// drover runs in a container.
std::string otel_resource(const HostSample& now, std::string_view host_name);

/// Calls `emit` with each data point's members, without braces:
/// "name":"system.cpu.time","unit":"s","type":"sum","monotonic":true,"start_time":"…",
/// "value":1.5,"attributes":{"state":"user"}
/// Cumulative sums carry the counters as read (consumers take rates, and see resets as a value
/// that went down); gauges over the interval (utilization) need `before` and are left out
/// without it or when a counter went backwards.
void for_each_otel_point(const HostSample& now, const HostSample& before,
                         const std::function<void(std::string_view point)>& emit);

}  // namespace drover::inputs
