// The HTTP side of the events input: requests read from a connection's buffer, their events
// queued (a socket batch's too), and replies sent at once (accepted) or, for durable and
// delivered, by events_acks.cpp once the outputs acknowledge them; slow clients timed out.
#include "agent/http_request.h"
#include "agent/json_escape.h"
#include "inputs/events/events_connection.h"
#include "inputs/events/events_input.h"
#include "inputs/events/ndjson_events.h"
#include "inputs/events/otlp_logs.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace drover::inputs {

void EventsInput::serve_http(Connection& connection) {
  RequestReader& reader = *connection.reader;
  while (!connection.waiting_ticket && !connection.close_after_write && !connection.broken) {
    connection.in.erase(0, reader.feed(connection.in));
    if (reader.state() == RequestReader::State::kHead) return;
    if (reader.state() == RequestReader::State::kBad) {
      std::string error = reader.error();
      if (reader.status() == 413) error += " (max_request_bytes): send fewer events per request";
      reply(connection, reader.status(), error_body(error), false);
      connection.in.clear();
      return;
    }
    const RequestHead& head = reader.head();
    if (!tokens_->allows(head.authorization)) {
      if (auto suppressed = unauthorized_log_.allow()) {
        spdlog::warn("input {}: refused a request from {} without a valid bearer token{}",
                     context_.name, connection.source->path,
                     *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
      // Its body is not read: the connection closes after the reply.
      reply(connection, 401,
            error_body("a valid \"Authorization: Bearer <token>\" header is required"), false);
      connection.in.clear();
      return;
    }
    const bool keep_alive = head.keep_alive;
    const uint64_t body_bytes = reader.body_bytes();  // sent with Content-Length: read in place
    const bool whole = head.chunked ? reader.state() == RequestReader::State::kComplete
                                    : connection.in.size() >= body_bytes;
    if (!whole) {
      if (head.expect_continue && !connection.continue_sent) {
        connection.out += "HTTP/1.1 100 Continue\r\n\r\n";
        connection.continue_sent = true;
        flush_output(connection);
      }
      return;
    }
    const std::string_view body =
        head.chunked ? reader.body() : std::string_view(connection.in).substr(0, body_bytes);
    counters_.bytes->add(body.size());
    const bool otlp = head.path == kOtlpLogsEndpoint;
    if (head.path != kEventsEndpoint && !otlp) {
      reply(connection, 404,
            error_body(
                fmt::format("nothing at '{}': POST NDJSON events to {}, or OTLP logs (JSON) to {}",
                            head.path.substr(0, 128), kEventsEndpoint, kOtlpLogsEndpoint)),
            keep_alive);
    } else if (head.method != "POST") {
      reply(connection, 405,
            error_body(fmt::format("{} takes POST, not {}", head.path, head.method.substr(0, 16))),
            keep_alive);
    } else {
      const std::string_view ack = query_value(head.query, "ack");
      const std::optional<AckLevel> level = ack.empty() ? config_.ack : ack_level_named(ack);
      if (!level) {
        reply(connection, 400,
              error_body(
                  fmt::format("ack '{}' is not accepted, durable or delivered", ack.substr(0, 32))),
              keep_alive);
      } else if (head.idempotency_key && !IdempotencyKeys::valid(*head.idempotency_key)) {
        reply(connection, 400,
              error_body("an Idempotency-Key is 1 to 255 visible ASCII characters"), keep_alive);
      } else if (otlp) {
        serve_otlp_logs(connection, *level, head, body, keep_alive);
      } else {
        serve_events_request(connection, *level, body, keep_alive,
                             head.idempotency_key.value_or(std::string_view()));
      }
    }
    connection.in.erase(0, body_bytes);
    reader.next();
    connection.continue_sent = false;
  }
}

void EventsInput::serve_otlp_logs(Connection& connection, AckLevel level, const RequestHead& head,
                                  std::string_view body, bool keep_alive) {
  connection.otlp = Connection::Otlp{};  // its replies are OTLP's
  if (head.content_type.starts_with("application/x-protobuf")) {
    reply(connection, 415,
          error_body("OTLP logs are taken in their JSON encoding: set the exporter's protocol to "
                     "http/json (OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/json)"),
          keep_alive);
    return;
  }
  if (!head.content_encoding.empty() && head.content_encoding != "identity") {
    reply(connection, 415,
          error_body(fmt::format("Content-Encoding '{}' is not taken: send the logs "
                                 "uncompressed (OTEL_EXPORTER_OTLP_COMPRESSION=none); drover is "
                                 "on this host",
                                 head.content_encoding.substr(0, 32))),
          keep_alive);
    return;
  }
  OtlpLogs logs = otlp_logs_to_events(body);
  if (!logs.error.empty()) {
    counters_.invalid->add();
    reply(connection, 400, error_body(logs.error), keep_alive);
    return;
  }
  if (logs.rejected > 0) {
    counters_.otlp_rejected->add(logs.rejected);
    if (auto suppressed = invalid_log_.allow()) {
      spdlog::warn("input {}: {} of the OTLP log records from {} were rejected: {}{}",
                   context_.name, logs.rejected, connection.source->path, logs.rejected_why,
                   *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
  }
  connection.otlp = Connection::Otlp{logs.rejected, std::move(logs.rejected_why)};
  serve_events_request(connection, level, logs.ndjson, keep_alive,
                       head.idempotency_key.value_or(std::string_view()));
}

void EventsInput::serve_events_request(Connection& connection, AckLevel level,
                                       std::string_view body, bool keep_alive,
                                       std::string_view idempotency_key) {
  const auto now = Clock::now();
  if (!idempotency_key.empty() && answer_repeat(connection, idempotency_key, keep_alive, now)) {
    return;
  }
  // A reply its key's repeats get too.
  const auto answer_now = [&](int status, std::string reply_body) {
    reply(connection, status, reply_body, keep_alive);
    if (!idempotency_key.empty()) remember(idempotency_key, {status, std::move(reply_body)}, now);
  };
  auto batch = std::make_shared<Batch>(connection.source, unix_ms_now());
  batch->reserve(body.size() + body.size() / 2, 128);
  const std::string timestamp = format_timestamp(batch->timestamp_ms());
  const NdjsonOutcome outcome =
      encode_ndjson(body, 0, 1, *batch, *connection.encoder, parser_, timestamp);
  if (outcome.invalid > 0) {
    counters_.invalid->add(outcome.invalid);
    std::string errors;
    for (const auto& error : outcome.first_errors) {
      if (!errors.empty()) errors += "; ";
      errors += error;
    }
    if (auto suppressed = invalid_log_.allow()) {
      spdlog::warn(
          "input {}: refused a request from {}: {} of its {} event(s) are not JSON "
          "objects: {}{}",
          context_.name, connection.source->path, outcome.invalid, outcome.events, errors,
          *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
    answer_now(400, fmt::format("{{\"accepted\":0,\"invalid\":{},\"error\":{}}}", outcome.invalid,
                                json_string("no event was taken: " + errors)));
    return;
  }
  if (outcome.events == 0) {
    answer_now(200, "{\"accepted\":0}");
    return;
  }
  std::optional<uint64_t> ticket;
  if (level != AckLevel::kAccepted) {
    ticket = next_ticket_++;
    auto receipt = level == AckLevel::kDelivered ? std::make_shared<DeliveryReceipt>() : nullptr;
    batch->set_ack(std::make_shared<AckGroup>(acks_, *ticket, receipt));
    waiting_[*ticket] = {level,
                         outcome.events,
                         std::move(receipt),
                         {{connection.id, keep_alive, now + config_.ack_timeout}},
                         std::string(idempotency_key)};
    connection.waiting_ticket = ticket;
  }
  const PushResult pushed = out_->push_until(std::move(batch), stop_, now + config_.busy_timeout);
  if (pushed == PushResult::kQueued) {
    counters_.records->add(outcome.events);
    if (!ticket) {
      answer_now(200, fmt::format("{{\"accepted\":{}}}", outcome.events));
    } else if (!idempotency_key.empty()) {
      counters_.idempotency_evicted->add(idempotency_.wait(idempotency_key, *ticket, now));
    }
    return;
  }
  if (ticket) {
    waiting_.erase(*ticket);
    connection.waiting_ticket.reset();
  }
  // Nothing was taken: a repeat is a first try.
  if (pushed == PushResult::kTimedOut) {
    reply(connection, 503,
          error_body(fmt::format("the output queues had no room for {} ms (busy_timeout); "
                                 "nothing was taken: send the request again later",
                                 config_.busy_timeout.count())),
          keep_alive, 1);
  } else {
    reply(connection, 503, error_body("drover is stopping; nothing was taken"), false, 1);
  }
}

void EventsInput::reply(Connection& connection, int status, std::string_view body, bool keep_alive,
                        int retry_after_seconds) {
  std::string otlp_body;
  if (connection.otlp) {  // the request was OTLP's: so is its reply
    otlp_body = otlp_reply_body(status, body, connection.otlp->rejected, connection.otlp->why);
    body = otlp_body;
    connection.otlp.reset();
  }
  if (connection.http) {
    connection.out += http_response(status, body, keep_alive, retry_after_seconds);
  } else {
    // A socket batch's reply: the HTTP reply's JSON, with the status it would have had.
    connection.out += fmt::format("{{\"status\":{},", status);
    if (retry_after_seconds > 0) {
      connection.out += fmt::format("\"retry_after\":{},", retry_after_seconds);
    }
    connection.out.append(body.substr(1)).push_back('\n');
  }
  requests_with_status(status).add();
  if (!keep_alive) connection.close_after_write = true;
  flush_output(connection);
}

void EventsInput::arm_timer(Connection& connection, Clock::time_point now) {
  using Awaiting = Connection::Awaiting;
  const bool client_owes_nothing = connection.waiting_ticket || connection.close_after_write ||
                                   connection.broken || connection.peer_closed;
  Awaiting awaiting = Awaiting::kNothing;  // drover owes a reply, or the connection is ending
  std::chrono::milliseconds timeout{};
  if (client_owes_nothing) {
    awaiting = Awaiting::kNothing;
  } else if (connection.reader->state() == RequestReader::State::kHead) {
    awaiting = connection.in.empty() ? Awaiting::kNextRequest : Awaiting::kHead;
    timeout = connection.in.empty() ? config_.idle_timeout : config_.header_timeout;
  } else {
    awaiting = Awaiting::kBody;
    timeout = config_.body_timeout;
  }
  if (awaiting == connection.awaiting) return;
  connection.awaiting = awaiting;
  connection.deadline = now + timeout;
}

void EventsInput::expire_connections(Clock::time_point now) {
  // Deadlines are seconds apart: a look every 100 ms, not per loop turn, keeps thousands of
  // connections cheap.
  if (now < next_timer_scan_) return;
  next_timer_scan_ = now + std::chrono::milliseconds(100);
  std::vector<uint64_t> late;
  for (const auto& [id, connection] : connections_) {
    if (connection->awaiting != Connection::Awaiting::kNothing && connection->deadline <= now) {
      late.push_back(id);
    }
  }
  for (uint64_t id : late) {
    Connection& connection = *connections_.at(id);
    if (connection.awaiting == Connection::Awaiting::kNextRequest) {
      counters_.idle_closed->add();
      close_connection(id);
      continue;
    }
    const bool head = connection.awaiting == Connection::Awaiting::kHead;
    reply(connection, 408,
          error_body(fmt::format("the request's {} did not arrive within {} ms ({})",
                                 head ? "head" : "body",
                                 (head ? config_.header_timeout : config_.body_timeout).count(),
                                 head ? "header_timeout" : "body_timeout")),
          false);
    connection.in.clear();
    if (finished(connection)) {
      close_connection(id);
    } else {
      watch(connection);
    }
  }
}

}  // namespace drover::inputs
