// OTLP/HTTP logs in their JSON encoding (an ExportLogsServiceRequest, as OpenTelemetry SDKs
// send it with the http/json protocol) turned into drover events: one JSON object per log
// record, with its time, severity, body, attributes, trace and span ids, and its resource's
// and scope's attributes. A record that cannot be read is rejected and counted, the others are
// taken (OTLP's partial success).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace drover::inputs {

inline constexpr std::string_view kOtlpLogsEndpoint = "/v1/logs";

struct OtlpLogs {
  std::string ndjson;        // one event per line
  size_t records = 0;        // log records turned into events
  size_t rejected = 0;       // log records that could not be read
  std::string rejected_why;  // the first rejection, with its place
  std::string error;         // the request as a whole is not an ExportLogsServiceRequest
};

OtlpLogs otlp_logs_to_events(std::string_view json);

/// The OTLP reply for a request answered `status` with drover's JSON `body`: an
/// ExportLogsServiceResponse on success ({} or a partialSuccess naming rejected records), a
/// google.rpc.Status-shaped {"code","message"} otherwise.
std::string otlp_reply_body(int status, std::string_view body, size_t rejected,
                            std::string_view rejected_why);

}  // namespace drover::inputs
