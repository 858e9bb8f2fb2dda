#include "inputs/events/idempotency_keys.h"

namespace drover::inputs {

bool IdempotencyKeys::valid(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

void IdempotencyKeys::expire(Clock::time_point now) {
  while (!order_.empty() && order_.front().first_seen + window_ <= now) {
    bytes_ -= order_.front().entry.reply.body.size();
    entries_.erase(order_.front().key);
    order_.pop_front();
  }
}

const IdempotencyKeys::Entry* IdempotencyKeys::find(std::string_view key, Clock::time_point now) {
  expire(now);
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second->entry;
}

IdempotencyKeys::Order::iterator IdempotencyKeys::at(std::string_view key, Clock::time_point now) {
  expire(now);
  if (const auto it = entries_.find(key); it != entries_.end()) return it->second;
  order_.push_back({std::string(key), {}, now});
  const auto added = std::prev(order_.end());
  entries_.emplace(added->key, added);
  return added;
}

size_t IdempotencyKeys::wait(std::string_view key, uint64_t ticket, Clock::time_point now) {
  const auto it = at(key, now);
  it->entry.ticket = ticket;
  return make_room();
}

size_t IdempotencyKeys::answer(std::string_view key, Reply reply, Clock::time_point now) {
  const auto it = at(key, now);
  bytes_ -= it->entry.reply.body.size();
  bytes_ += reply.body.size();
  it->entry = {std::nullopt, std::move(reply)};
  return make_room();
}

void IdempotencyKeys::forget(std::string_view key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  const Order::iterator stored = it->second;
  bytes_ -= stored->entry.reply.body.size();
  entries_.erase(it);
  order_.erase(stored);
}

size_t IdempotencyKeys::make_room() {
  size_t evicted = 0;
  // The newest stays even alone past max_bytes: its repeats are the likeliest.
  while (order_.size() > 1 && (order_.size() > max_keys_ || bytes_ > max_bytes_)) {
    bytes_ -= order_.front().entry.reply.body.size();
    entries_.erase(order_.front().key);
    order_.pop_front();
    ++evicted;
  }
  return evicted;
}

}  // namespace drover::inputs
