// What the events endpoint reads from a connection: a request (RequestReader, on Boost.Beast's
// parser), then a body of NDJSON events encoded into a batch. Whatever the bytes, and wherever
// they are split, reading ends in a request, a "need more" or an error status; and every record
// encoded is one valid JSON object, whatever the events held.
#include "agent/http_request.h"
#include "inputs/events/ndjson_events.h"
#include "tests/fuzz/fuzz_input.h"

#include <simdjson.h>

#include <cstdint>
#include <memory>

using namespace drover;
using namespace drover::inputs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Fed in two pieces, as a connection may deliver it: the split point is the first byte.
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  RequestReader reader(1 << 16);
  std::string buffer(in.substr(0, split));
  size_t taken = reader.feed(buffer);
  buffer.erase(0, taken);
  buffer.append(in.substr(split));
  taken = reader.feed(buffer);
  if (taken > buffer.size()) fuzz::fail("the reader took more than it was given");
  buffer.erase(0, taken);
  if (reader.state() == RequestReader::State::kBad) {
    if (reader.status() < 400 || reader.status() > 599 || reader.error().empty()) {
      fuzz::fail("a bad request without an error status and a reason");
    }
    (void)http_response(reader.status(), reader.error(), false);
    return 0;
  }
  if (reader.state() == RequestReader::State::kHead) {
    if (buffer.size() > kMaxRequestHeadBytes + 1) fuzz::fail("an over-long head is incomplete");
    return 0;
  }
  const RequestHead& head = reader.head();
  if (head.chunked && reader.body_bytes() != 0) fuzz::fail("a chunked body left in place");
  if (reader.state() == RequestReader::State::kComplete && reader.body().size() > (1 << 16)) {
    fuzz::fail("a body over the limit was taken");
  }
  const std::string_view body =
      reader.state() == RequestReader::State::kComplete
          ? reader.body()
          : std::string_view(buffer).substr(0,
                                            std::min<uint64_t>(reader.body_bytes(), buffer.size()));
  (void)query_value(head.query, "ack");

  static const SourceInfo source{"events", "fuzz-host", "http:127.0.0.1:1"};
  static const RecordEncoder encoder(Codec::kJson, source, InvalidUtf8::kReplace, false);
  static JsonLineParser parser(JsonParserConfig{"time", TimestampFormat::kAuto, "user.id"});
  Batch batch(std::make_shared<SourceInfo>(source), 0);
  const NdjsonOutcome outcome =
      encode_ndjson(body, 0, 1, batch, encoder, parser, "2026-12-07T00:00:00Z");
  if (outcome.events != batch.record_count()) fuzz::fail("events counted but not in the batch");

  static simdjson::dom::parser check;
  for (size_t i = 0; i < batch.record_count(); ++i) {
    simdjson::dom::element record;
    if (check.parse(batch.record(i)).get(record) != simdjson::SUCCESS || !record.is_object()) {
      fuzz::fail("an encoded event is not a valid JSON object");
    }
    if (batch.position(i) > body.size()) {
      fuzz::fail("an event's position is outside its body");
    }
  }
  return 0;
}
