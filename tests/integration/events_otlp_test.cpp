// OTLP/HTTP logs (JSON) into the events input (librdkafka's mock cluster): an SDK's export
// becomes one event per log record, with OTLP's replies: partial success, and the statuses its
// exporters act on for what drover does not take.
#include "tests/integration/events_fixture.h"
#include "tests/support/topic_reader.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using testing::HttpConnection;
using testing::HttpResponse;
using testing::TopicReader;
using testing::wait_until;

constexpr std::string_view kExport = R"({"resourceLogs":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
  "scopeLogs":[{"scope":{"name":"checkout.orders"},"logRecords":[
    {"timeUnixNano":"1796547600123000000","severityNumber":17,"severityText":"ERROR",
     "traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331",
     "body":{"stringValue":"payment declined"},
     "attributes":[{"key":"order.id","value":{"intValue":"4711"}}]},
    42]}]}]})";

HttpResponse post_raw(HttpConnection& http, const std::string& target, std::string_view body,
                      const std::string& headers) {
  http.send_raw(fmt::format("POST {} HTTP/1.1\r\nHost: drover\r\n{}Content-Length: {}\r\n\r\n{}",
                            target, headers, body.size(), body));
  return http.read_response();
}

TEST_F(EventsToKafkaTest, OtlpLogsBecomeEventsWithOtlpsReplies) {
  start(1, "");
  HttpConnection http(address);
  const HttpResponse taken =
      post_raw(http, "/v1/logs?ack=delivered", kExport, "Content-Type: application/json\r\n");
  EXPECT_EQ(taken.status, 200) << taken.body;
  EXPECT_EQ(taken.body,
            "{\"partialSuccess\":{\"rejectedLogRecords\":\"1\",\"errorMessage\":\"resourceLogs[0]."
            "scopeLogs[0].logRecords[1] is not a log record drover can read\"}}\n");

  const HttpResponse protobuf =
      post_raw(http, "/v1/logs", "\x0a\x00", "Content-Type: application/x-protobuf\r\n");
  EXPECT_EQ(protobuf.status, 415);
  EXPECT_NE(protobuf.body.find("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/json"), std::string::npos)
      << protobuf.body;
  const HttpResponse gzip = post_raw(
      http, "/v1/logs", "...", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n");
  EXPECT_EQ(gzip.status, 415);
  EXPECT_NE(gzip.body.find("OTEL_EXPORTER_OTLP_COMPRESSION=none"), std::string::npos) << gzip.body;
  const HttpResponse broken =
      post_raw(http, "/v1/logs", "{\"resourceLogs\":", "Content-Type: application/json\r\n");
  EXPECT_EQ(broken.status, 400);
  EXPECT_TRUE(broken.body.starts_with("{\"code\":3,\"message\":\"not JSON")) << broken.body;

  TopicReader reader(kafka.bootstrap(), "events", 1);
  ASSERT_TRUE(wait_until([&] { return !reader.poll().empty(); }));
  ASSERT_EQ(reader.records().size(), 1U);
  const std::string& event = reader.records()[0].value;
  for (const char* part :
       {R"("@timestamp":"2026-12-06T09:00:00.123Z")", R"("severity_text":"ERROR")",
        R"("severity_number":17)", R"("body":"payment declined")",
        R"("trace_id":"0af7651916cd43dd8448eb211c80319c")", R"("span_id":"b7ad6b7169203331")",
        R"("attributes":{"order.id":4711})", R"("resource":{"service.name":"checkout"})",
        R"("scope":{"name":"checkout.orders"})", R"("input":"ev")"}) {
    EXPECT_NE(event.find(part), std::string::npos) << part << " in " << event;
  }
  EXPECT_NE(metrics().find("drover_events_otlp_rejected_records_total{input=\"ev\"} 1\n"),
            std::string::npos)
      << metrics();
  stop();
}

}  // namespace
}  // namespace drover
