// An OTLP/HTTP JSON logs export as a client sends it to POST /v1/logs: whatever the bytes, each
// log record taken becomes exactly one line holding one valid JSON object, and the reply built
// for it is valid JSON.
#include "inputs/events/otlp_logs.h"
#include "tests/fuzz/fuzz_input.h"

#include <simdjson.h>

#include <cstdint>
#include <string>

using namespace drover;
using namespace drover::inputs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const OtlpLogs logs = otlp_logs_to_events(text);
  if (!logs.error.empty() && (logs.records > 0 || !logs.ndjson.empty())) {
    fuzz::fail("a request refused as a whole still gave events");
  }
  static simdjson::dom::parser check;
  size_t lines = 0;
  for (size_t start = 0; start < logs.ndjson.size();) {
    const size_t end = logs.ndjson.find('\n', start);
    if (end == std::string::npos) fuzz::fail("an event without its newline");
    simdjson::dom::element event;
    if (check.parse(logs.ndjson.data() + start, end - start).get(event) != simdjson::SUCCESS ||
        !event.is_object()) {
      fuzz::fail("an event is not a valid JSON object");
    }
    ++lines;
    start = end + 1;
  }
  if (lines != logs.records) fuzz::fail("not one line per log record taken");
  const std::string reply =
      otlp_reply_body(200, "{\"accepted\":1}", logs.rejected, logs.rejected_why);
  simdjson::dom::element parsed;
  if (check.parse(reply).get(parsed) != simdjson::SUCCESS) fuzz::fail("the reply is not JSON");
  return 0;
}
