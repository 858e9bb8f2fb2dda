// The events input, answering requests that wait for an ack (durable, delivered): when the
// outputs make their batch safe, or with 504 at ack_timeout (the batch stays queued). A ticket
// may have several waiters: its request and repeats of its Idempotency-Key, which also get the
// first request's reply once it is known.
#include "inputs/events/events_connection.h"
#include "inputs/events/events_input.h"

#include <fmt/format.h>

#include <algorithm>

namespace drover::inputs {

bool EventsInput::answer_repeat(Connection& connection, std::string_view key, bool keep_alive,
                                Clock::time_point now) {
  const IdempotencyKeys::Entry* first = idempotency_.find(key, now);
  if (first == nullptr) return false;
  if (!first->ticket) {
    counters_.repeats_answered->add();
    reply(connection, first->reply.status, first->reply.body, keep_alive);
    return true;
  }
  auto waiting = waiting_.find(*first->ticket);
  if (waiting == waiting_.end()) return false;  // not reached: a key's ticket is waited for
  counters_.repeats_waiting->add();
  waiting->second.waiters.push_back({connection.id, keep_alive, now + config_.ack_timeout});
  connection.waiting_ticket = *first->ticket;
  return true;
}

void EventsInput::remember(std::string_view key, IdempotencyKeys::Reply reply,
                           Clock::time_point now) {
  counters_.idempotency_evicted->add(idempotency_.answer(key, std::move(reply), now));
}

void EventsInput::answer_acknowledged() {
  const auto now = Clock::now();
  for (uint64_t ticket : acks_->take()) {
    auto it = waiting_.find(ticket);
    if (it == waiting_.end()) continue;  // answered already (timed out), or its clients left
    Waiting waiting = std::move(it->second);
    waiting_.erase(it);
    const IdempotencyKeys::Reply reply = acknowledged_reply(waiting);
    if (!waiting.idempotency_key.empty()) {
      // Unless the key was evicted meanwhile and a new request took it.
      const IdempotencyKeys::Entry* entry = idempotency_.find(waiting.idempotency_key, now);
      if (entry != nullptr && entry->ticket == ticket) {
        remember(waiting.idempotency_key, reply, now);
      }
    }
    for (const Waiter& waiter : waiting.waiters) answer_waiter(ticket, waiter, reply);
  }
}

IdempotencyKeys::Reply EventsInput::acknowledged_reply(const Waiting& waiting) const {
  if (waiting.level == AckLevel::kDurable) {
    return {200, fmt::format("{{\"accepted\":{},\"ack\":\"durable\"}}", waiting.events)};
  }
  auto outcomes = waiting.receipt->outcomes();
  std::stable_sort(outcomes.begin(), outcomes.end(),
                   [](const auto& a, const auto& b) { return a.record < b.record; });
  std::string body =
      fmt::format("{{\"accepted\":{},\"ack\":\"delivered\",\"records\":[", waiting.events);
  bool failed = false;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& outcome = outcomes[i];
    if (i > 0) body += ',';
    if (outcome.error.empty()) {
      fmt::format_to(std::back_inserter(body),
                     "{{\"record\":{},\"output\":{},\"topic\":{},\"partition\":{},\"offset\":{}}}",
                     outcome.record, json_string(outcome.output), json_string(outcome.topic),
                     outcome.partition, outcome.offset);
    } else {
      failed = true;
      fmt::format_to(std::back_inserter(body), "{{\"record\":{},\"output\":{},\"error\":{}}}",
                     outcome.record, json_string(outcome.output), json_string(outcome.error));
    }
  }
  body += "]}";
  return {failed ? 422 : 200, std::move(body)};
}

void EventsInput::answer_waiter(uint64_t ticket, const Waiter& waiter,
                                const IdempotencyKeys::Reply& answer) {
  auto it = connections_.find(waiter.connection);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (connection.waiting_ticket != ticket) return;
  connection.waiting_ticket.reset();
  reply(connection, answer.status, answer.body, waiter.keep_alive);
  serve(connection);  // requests sent behind it
  if (finished(connection)) {
    close_connection(connection.id);
  } else {
    watch(connection);
  }
}

void EventsInput::expire_waits(Clock::time_point now) {
  struct Late {
    uint64_t ticket;
    Waiter waiter;
    IdempotencyKeys::Reply reply;
  };
  std::vector<Late> late;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const Waiting& waiting = it->second;
    for (const Waiter& waiter : waiting.waiters) {
      if (waiter.deadline > now) continue;
      late.push_back(
          {it->first,
           waiter,
           {504, fmt::format("{{\"accepted\":{},\"error\":{}}}", waiting.events,
                             json_string(fmt::format(
                                 "not {} within {} ms (ack_timeout); the events stay queued and "
                                 "will be sent (a retry may duplicate them, unless it repeats "
                                 "the Idempotency-Key)",
                                 name_of(waiting.level), config_.ack_timeout.count())))}});
    }
    std::erase_if(it->second.waiters, [&](const Waiter& waiter) { return waiter.deadline <= now; });
    // A batch with a key stays until its ack: a repeat after the 504 waits for the same ack.
    if (it->second.waiters.empty() && it->second.idempotency_key.empty()) {
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Late& each : late) answer_waiter(each.ticket, each.waiter, each.reply);
}

void EventsInput::stop_waiting(Connection& connection) {
  if (!connection.waiting_ticket) return;
  auto it = waiting_.find(*connection.waiting_ticket);
  connection.waiting_ticket.reset();
  if (it == waiting_.end()) return;
  std::erase_if(it->second.waiters,
                [&](const Waiter& waiter) { return waiter.connection == connection.id; });
  if (it->second.waiters.empty() && it->second.idempotency_key.empty()) waiting_.erase(it);
}

}  // namespace drover::inputs
