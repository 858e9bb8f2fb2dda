// The events input's memory of requests sent with an Idempotency-Key (HTTP header, or
// "idempotency_key" in a socket batch's header): a repeat within the window is not stored
// again. It gets the first request's reply, or, while the first still waits for its ack,
// waits for the same ticket. Bounded: the oldest key goes first when there are max_keys, or
// when the replies kept pass max_bytes (each eviction is counted by the caller). Kept in memory
// only: after a restart a repeat is taken again (at-least-once, as without a key).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace drover::inputs {

class IdempotencyKeys {
 public:
  using Clock = std::chrono::steady_clock;
  struct Reply {
    int status = 0;
    std::string body;
  };
  /// What a key's first request came to: a ticket still waited for, or its reply.
  struct Entry {
    std::optional<uint64_t> ticket;
    Reply reply;
  };

  IdempotencyKeys(std::chrono::milliseconds window, size_t max_keys, size_t max_bytes)
      : window_(window), max_keys_(max_keys), max_bytes_(max_bytes) {}

  /// The key's entry if its first request came within the window.
  const Entry* find(std::string_view key, Clock::time_point now);
  /// The key's first request waits for `ticket`. Returns how many keys were evicted for room.
  size_t wait(std::string_view key, uint64_t ticket, Clock::time_point now);
  /// The key's first request was answered: its repeats get the same reply. Returns evictions.
  size_t answer(std::string_view key, Reply reply, Clock::time_point now);
  /// A reply that must not be repeated (nothing was taken: 503): the next try is a first one.
  void forget(std::string_view key);
  size_t size() const { return entries_.size(); }

  /// A key a client may send: 1 to 255 visible ASCII characters.
  static bool valid(std::string_view key);

 private:
  struct Stored {
    std::string key;
    Entry entry;
    Clock::time_point first_seen;
  };
  using Order = std::list<Stored>;  // oldest first: the window and eviction both go by it
  void expire(Clock::time_point now);
  size_t make_room();
  Order::iterator at(std::string_view key, Clock::time_point now);

  std::chrono::milliseconds window_;
  size_t max_keys_;
  size_t max_bytes_;
  size_t bytes_ = 0;  // of the replies kept
  Order order_;
  std::unordered_map<std::string_view, Order::iterator> entries_;  // views into order_'s keys
};

}  // namespace drover::inputs
