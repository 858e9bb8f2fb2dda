// What the events endpoint reads from a connection: a request head, then a body of NDJSON
// events encoded into a batch. Whatever the bytes, parsing ends in a request, a "need more" or
// an error status; and every record encoded is one valid JSON object, whatever the events held.
#include "inputs/events/http_request.h"
#include "inputs/events/ndjson_events.h"
#include "tests/fuzz/fuzz_input.h"

#include <simdjson.h>

#include <cstdint>
#include <memory>

using namespace drover;
using namespace drover::inputs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const HeadParse parsed = parse_request_head(in);
  if (parsed.state == HeadParse::State::kBad) {
    if (parsed.status < 400 || parsed.status > 599 || parsed.error.empty()) {
      fuzz::fail("a bad request without an error status and a reason");
    }
    (void)http_response(parsed.status, parsed.error, false);
    return 0;
  }
  if (parsed.state == HeadParse::State::kIncomplete) {
    if (in.size() > kMaxRequestHeadBytes) fuzz::fail("an over-long head is still incomplete");
    return 0;
  }
  const RequestHead& head = parsed.head;
  if (head.head_bytes > in.size()) fuzz::fail("the head runs past the buffer");
  const std::string_view rest = in.substr(head.head_bytes);
  const std::string_view body =
      rest.substr(0, std::min<uint64_t>(head.content_length, rest.size()));
  (void)query_value(head.query, "ack");

  static const SourceInfo source{"events", "fuzz-host", "http:127.0.0.1:1"};
  static const RecordEncoder encoder(Codec::kJson, source, InvalidUtf8::kReplace, false);
  static JsonLineParser parser(JsonParserConfig{"time", TimestampFormat::kAuto, "user.id"});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const NdjsonOutcome outcome =
      encode_ndjson(body, head.head_bytes, 1, batch, encoder, parser, "2026-12-07T00:00:00Z");
  if (outcome.events != batch.record_count()) fuzz::fail("events counted but not in the batch");

  static simdjson::dom::parser check;
  for (size_t i = 0; i < batch.record_count(); ++i) {
    simdjson::dom::element record;
    if (check.parse(batch.record(i)).get(record) != simdjson::SUCCESS || !record.is_object()) {
      fuzz::fail("an encoded event is not a valid JSON object");
    }
    if (batch.position(i) < head.head_bytes || batch.position(i) > head.head_bytes + body.size()) {
      fuzz::fail("an event's position is outside its body");
    }
  }
  return 0;
}
