// The Unix socket side of the events input. A connection is one of two kinds, told apart by its
// first line:
// - a stream (the default): NDJSON with no replies. A full queue stops reading it, so the sender
//   blocks; a line that is not a JSON object is shipped as text.
// - batches: the first line is a header, {"ack":"durable"} (accepted, durable or delivered). The
//   batch's NDJSON events follow and an empty line ends it (a header may add an
//   "idempotency_key", as HTTP's Idempotency-Key header); then the next header. Each batch is
//   answered with one line: the JSON an HTTP request would get, with its "status". Batches are
//   answered one at a time, in the order they were sent.
#include "inputs/events/events_connection.h"
#include "inputs/events/events_input.h"
#include "inputs/events/ndjson_events.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

namespace drover::inputs {
namespace {

struct BatchHeader {
  AckLevel level = AckLevel::kAccepted;
  std::string_view idempotency_key;  // into the parser's strings: used before the next parse
};

/// A JSON object with "ack" naming a level and, if it likes, an "idempotency_key".
std::optional<BatchHeader> parse_batch_header(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.size() > kMaxBatchHeaderBytes || line.front() != '{') {
    return std::nullopt;
  }
  static thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(line.data(), line.size()).get(object) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  BatchHeader header;
  bool has_level = false;
  for (const auto field : object) {
    std::string_view value;
    if (field.value.get(value) != simdjson::SUCCESS) return std::nullopt;
    if (field.key == "ack") {
      const auto level = ack_level_named(value);
      if (!level) return std::nullopt;
      header.level = *level;
      has_level = true;
    } else if (field.key == "idempotency_key" && IdempotencyKeys::valid(value)) {
      header.idempotency_key = value;
    } else {
      return std::nullopt;
    }
  }
  if (!has_level) return std::nullopt;
  return header;
}

}  // namespace

void EventsInput::serve(Connection& connection) {
  if (connection.http) {
    serve_http(connection);
  } else if (connection.framing == Connection::Framing::kBatches) {
    serve_socket_batches(connection);
  }
}

void EventsInput::on_socket_data(Connection& connection, std::string_view data, bool eof) {
  using Framing = Connection::Framing;
  if (connection.framing == Framing::kUndecided) {
    connection.in.append(data);
    const size_t newline = connection.in.find('\n');
    if (newline == std::string::npos && !eof && connection.in.size() <= kMaxBatchHeaderBytes) {
      return;  // the first line decides
    }
    if (newline != std::string::npos &&
        parse_batch_header(std::string_view(connection.in).substr(0, newline))) {
      connection.framing = Framing::kBatches;
    } else {
      connection.framing = Framing::kStream;
      const std::string first = std::exchange(connection.in, {});
      feed_stream(connection, first, eof);
      return;
    }
  } else if (connection.framing == Framing::kStream) {
    feed_stream(connection, data, eof);
    return;
  } else {
    connection.in.append(data);
  }
  if (eof) connection.peer_closed = true;
  serve_socket_batches(connection);
}

void EventsInput::serve_socket_batches(Connection& connection) {
  while (!connection.waiting_ticket && !connection.close_after_write && !connection.broken) {
    const std::string_view in = connection.in;
    const size_t header_end = in.find('\n');
    if (header_end == std::string_view::npos) {
      if (in.size() > kMaxBatchHeaderBytes) {
        reply(connection, 400,
              error_body(fmt::format("a batch header is at most {} bytes; the connection closes",
                                     kMaxBatchHeaderBytes)),
              false);
        connection.in.clear();
      } else if (connection.peer_closed) {
        connection.in.clear();  // a header with nothing behind it
      }
      return;
    }
    const std::string_view header_line = in.substr(0, header_end);
    if (is_blank(header_line)) {  // between batches
      connection.in.erase(0, header_end + 1);
      continue;
    }
    const auto header = parse_batch_header(header_line);
    if (!header) {
      reply(connection, 400,
            error_body(fmt::format("a batch starts with a header line such as "
                                   "{{\"ack\":\"durable\"}}, not '{}'; the connection closes",
                                   header_line.substr(0, 64))),
            false);
      connection.in.clear();
      return;
    }
    const size_t body_start = header_end + 1;
    // An empty line ends the batch; the search goes on where the last one stopped.
    size_t line_start = std::max(body_start, connection.batch_scanned);
    size_t body_end = std::string_view::npos;
    size_t next = std::string_view::npos;
    for (size_t newline; (newline = in.find('\n', line_start)) != std::string_view::npos;
         line_start = newline + 1) {
      const std::string_view line = in.substr(line_start, newline - line_start);
      if (line.empty() || line == "\r") {
        body_end = line_start;
        next = newline + 1;
        break;
      }
    }
    if (body_end == std::string_view::npos) {
      connection.batch_scanned = line_start;
      if (connection.peer_closed) {  // the sender's last batch ends with the connection
        body_end = next = in.size();
      } else if (in.size() - body_start <= config_.max_request_bytes) {
        return;  // more is coming
      }
    }
    if (body_end == std::string_view::npos || body_end - body_start > config_.max_request_bytes) {
      reply(
          connection, 413,
          error_body(fmt::format("a batch over {} bytes (max_request_bytes): send fewer events per "
                                 "batch; the connection closes",
                                 config_.max_request_bytes)),
          false);
      connection.in.clear();
      return;
    }
    const std::string_view body = in.substr(body_start, body_end - body_start);
    counters_.bytes->add(body.size());
    serve_events_request(connection, header->level, body, true, header->idempotency_key);
    connection.in.erase(0, next);
    connection.batch_scanned = 0;
  }
}

void EventsInput::feed_stream(Connection& connection, std::string_view data, bool eof) {
  counters_.bytes->add(data.size());
  if (!connection.pending) {
    connection.pending = std::make_shared<Batch>(connection.source, unix_ms_now());
  }
  Batch& batch = *connection.pending;
  const std::string timestamp = format_timestamp(batch.timestamp_ms());
  const auto encode = [&](const Line& line) {
    if (is_blank(line.text)) return;
    const auto encoded = connection.encoder->encode(batch, line, timestamp, &parser_);
    if (line.truncated) counters_.truncated->add();
    if (encoded.json != nullptr && !encoded.json->is_object) {
      counters_.invalid->add();
      if (auto suppressed = invalid_log_.allow()) {
        spdlog::warn("input {}: {} byte {}: not a JSON object ({}); shipped as text{}",
                     context_.name, connection.source->path, line.offset, encoded.json->error,
                     *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
    }
  };
  if (!data.empty()) connection.splitter->feed(data, encode);
  if (eof) {
    connection.splitter->flush(encode);  // the last event needs no newline
    connection.peer_closed = true;
  }
  push_stream(connection);
}

bool EventsInput::push_stream(Connection& connection) {
  if (!connection.pending) return true;
  if (connection.pending->empty()) {
    connection.pending.reset();
    return true;
  }
  const size_t events = connection.pending->record_count();
  // Briefly: this thread serves every connection. Not read meanwhile, the stream waits in the
  // socket and its sender blocks; that is the backpressure.
  switch (out_->push_until(connection.pending, stop_, Clock::now() + kStreamRetry)) {
    case PushResult::kQueued:
      counters_.records->add(events);
      connection.pending.reset();
      return true;
    case PushResult::kTimedOut:
    case PushResult::kStopping:
      return false;
  }
  return false;
}

}  // namespace drover::inputs
