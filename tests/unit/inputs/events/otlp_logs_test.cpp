// OTLP/HTTP JSON logs → drover events, and OTLP's replies.
#include "inputs/events/otlp_logs.h"

#include <gtest/gtest.h>

namespace drover::inputs {
namespace {

// The shape of opentelemetry-proto's examples/logs.json, as an SDK sends it (http/json).
constexpr std::string_view kExport = R"({"resourceLogs":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},
                            {"key":"host.cpus","value":{"intValue":"2"}}]},
  "scopeLogs":[{"scope":{"name":"my.library","version":"1.0.0"},
    "logRecords":[
      {"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000001",
       "severityNumber":10,"severityText":"Information",
       "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
       "body":{"stringValue":"Example log record"},
       "attributes":[{"key":"string.attribute","value":{"stringValue":"some string"}},
                     {"key":"boolean.attribute","value":{"boolValue":true}},
                     {"key":"int.attribute","value":{"intValue":"10"}},
                     {"key":"double.attribute","value":{"doubleValue":637.704}},
                     {"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"},{"stringValue":"values"}]}}},
                     {"key":"map.attribute","value":{"kvlistValue":{"values":[{"key":"some.map.key","value":{"stringValue":"some value"}}]}}}]},
      {"observedTimeUnixNano":"1544712661000000000","body":{"kvlistValue":{"values":[{"key":"order","value":{"intValue":4711}}]}}},
      "not a log record",
      {"body":{"stringValue":"bad trace id"},"traceId":"not-hex"}
    ]}]}]})";

TEST(OtlpLogsTest, EachLogRecordBecomesAnEventWithItsResourceAndScope) {
  const OtlpLogs logs = otlp_logs_to_events(kExport);
  EXPECT_TRUE(logs.error.empty()) << logs.error;
  EXPECT_EQ(logs.records, 2U);
  EXPECT_EQ(logs.ndjson,
            R"({"@timestamp":"2018-12-13T14:51:00.300Z","severity_text":"Information",)"
            R"("severity_number":10,"body":"Example log record",)"
            R"("trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174",)"
            R"("attributes":{"string.attribute":"some string","boolean.attribute":true,)"
            R"("int.attribute":10,"double.attribute":637.704,"array.attribute":["many","values"],)"
            R"("map.attribute":{"some.map.key":"some value"}},)"
            R"("resource":{"service.name":"checkout","host.cpus":2},)"
            R"("scope":{"name":"my.library","version":"1.0.0"}})"
            "\n"
            R"({"@timestamp":"2018-12-13T14:51:01.000Z","body":{"order":4711},)"
            R"("resource":{"service.name":"checkout","host.cpus":2},)"
            R"("scope":{"name":"my.library","version":"1.0.0"}})"
            "\n");
  EXPECT_EQ(logs.rejected, 2U) << "a string and a record with a trace id that is not hex";
  EXPECT_EQ(logs.rejected_why,
            "resourceLogs[0].scopeLogs[0].logRecords[2] is not a log record drover can read");
}

TEST(OtlpLogsTest, WhatIsNotAnExportRequestIsSaidSo) {
  EXPECT_NE(otlp_logs_to_events("{\"resourceLogs\":[").error.find("not JSON"), std::string::npos);
  EXPECT_NE(otlp_logs_to_events("[1]").error.find("not an ExportLogsServiceRequest"),
            std::string::npos);
  const OtlpLogs empty = otlp_logs_to_events("{}");
  EXPECT_TRUE(empty.error.empty());
  EXPECT_EQ(empty.records, 0U);
}

TEST(OtlpLogsTest, RepliesAreOtlpsResponsesOrStatuses) {
  EXPECT_EQ(otlp_reply_body(200, R"({"accepted":2,"ack":"durable"})", 0, ""), "{}");
  EXPECT_EQ(
      otlp_reply_body(200, R"({"accepted":2})", 1, "logRecords[2] is not"),
      R"({"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"logRecords[2] is not"}})");
  EXPECT_EQ(otlp_reply_body(503, R"({"accepted":0,"error":"queues full"})", 0, ""),
            R"({"code":14,"message":"queues full"})");
  EXPECT_EQ(otlp_reply_body(400, R"({"accepted":0,"error":"not JSON"})", 0, ""),
            R"({"code":3,"message":"not JSON"})");
  EXPECT_EQ(
      otlp_reply_body(
          422,
          R"({"accepted":2,"ack":"delivered","records":[{"record":0,"offset":1},{"record":1,"error":"too large"}]})",
          0, ""),
      R"({"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"Kafka refused some log records; drover keeps them in its dead-letter file"}})");
}

}  // namespace
}  // namespace drover::inputs
