// One topic as the Kafka output sees it. Records of a topic reach Kafka in the order they were
// read (I5): once one of them fails, every later record of that topic is held too, and nothing
// is re-sent until librdkafka has reported on all the topic's records still in flight; then the
// held records go out again in read order. A topic Kafka refuses as a whole is *parked*: after
// each backoff a single held record probes it, and the rest follow only once the probe is
// delivered. Other topics keep flowing meanwhile.
#pragma once

#include "outputs/kafka/in_flight_batch.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <string>

namespace drover::outputs {

struct HeldRecord {
  InFlightBatch* batch;
  size_t record;
  bool attempted = false;    // produced before and failed: its re-send counts as a retry
  bool broker_time = false;  // let Kafka stamp it (after INVALID_TIMESTAMP)

  bool operator<(const HeldRecord& other) const {
    return batch->sequence != other.batch->sequence ? batch->sequence < other.batch->sequence
                                                    : record < other.record;
  }
};

class Route {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State {
    kFlowing,    // records go straight to librdkafka
    kHolding,    // records wait for the in-flight ones to report and for the backoff
    kProbing,    // parked: one record tests whether Kafka takes the topic again
    kReleasing,  // the held records go out again, oldest first
  };

  Route(std::string topic, Clock::duration backoff, Clock::duration max_backoff)
      : topic_(std::move(topic)), backoff_(backoff), max_backoff_(max_backoff) {}

  const std::string& topic() const { return topic_; }
  State state() const { return state_; }
  bool parked() const { return parked_; }
  size_t held_count() const { return held_.size(); }
  bool has_held() const { return !held_.empty(); }

  /// librdkafka's handle for the topic, looked up again after a producer is recreated.
  rd_kafka_topic_t* handle = nullptr;
  unsigned handle_generation = 0;
  size_t outstanding = 0;  // records in librdkafka whose delivery report is still to come

  /// A record of a route that is not flowing waits behind the records held before it.
  void hold(const HeldRecord& record) {
    if (held_.empty() || held_.back() < record) {
      held_.push_back(record);
    } else {
      held_.insert(std::upper_bound(held_.begin(), held_.end(), record), record);
    }
  }

  /// A record of this topic failed: hold it, and send nothing more of the topic until every
  /// record still in flight has reported and the backoff is over. The backoff doubles per
  /// failed round, not per record: a thousand timeouts of one outage are one round.
  void hold_after_failure(const HeldRecord& record, Clock::time_point now, bool refused,
                          bool with_backoff = true) {
    hold(record);
    if (refused) parked_ = true;
    if (state_ == State::kHolding) return;
    state_ = State::kHolding;
    due_ = now;
    if (!with_backoff) return;
    ++failures_;
    Clock::duration delay = backoff_;
    for (unsigned i = 1; i < failures_ && delay < max_backoff_; ++i) delay *= 2;
    due_ += std::min(delay, max_backoff_);
  }
  Clock::duration current_backoff(Clock::time_point now) const { return due_ - now; }

  /// A record of this topic was delivered. Returns true if the topic was parked until now.
  bool on_delivered() {
    failures_ = 0;
    if (state_ == State::kProbing) state_ = State::kReleasing;
    const bool was_parked = parked_;
    parked_ = false;
    return was_parked;
  }

  /// A holding route may send again once its backoff is over and nothing of it is in flight:
  /// one probe if it is parked (start_probe), else everything it holds (start_release).
  bool ready_to_resend(Clock::time_point now) const {
    return state_ == State::kHolding && outstanding == 0 && now >= due_;
  }
  void start_probe() { state_ = State::kProbing; }
  void start_release() { state_ = State::kReleasing; }
  /// librdkafka's queue was full: try again on the next turn.
  void back_to_holding() { state_ = State::kHolding; }

  HeldRecord take_oldest() {
    HeldRecord record = held_.front();
    held_.pop_front();
    return record;
  }
  void put_back_oldest(const HeldRecord& record) { held_.push_front(record); }
  void finish_release() {
    if (state_ == State::kReleasing && held_.empty()) state_ = State::kFlowing;
  }

 private:
  std::string topic_;
  State state_ = State::kFlowing;
  bool parked_ = false;
  Clock::duration backoff_;
  Clock::duration max_backoff_;
  unsigned failures_ = 0;  // consecutive failed rounds
  Clock::time_point due_{};
  std::deque<HeldRecord> held_;  // in read order: (batch sequence, record index)
};

}  // namespace drover::outputs
