// `type = "events"`: applications on the host send events to drover. Over HTTP or HTTPS
// (keep-alive, POST /v1/events with NDJSON bodies, POST /v1/logs with OTLP logs in JSON) a
// request is answered once its events are accepted, durable or delivered (`ack`, or `?ack=` per
// request); a full queue is answered 503 + Retry-After.
// With auth_token_file, an HTTP request needs "Authorization: Bearer <token>" (401 without).
// Over a Unix socket (its file mode decides who may connect), a connection is an NDJSON stream
// with no replies (a full queue stops reading it: the sender blocks), or, when its first line is
// a header such as {"ack":"durable"}, a series of batches each answered with one reply line.
// Events of one connection keep their order (I5). One thread serves every connection (epoll);
// acknowledgements from the outputs reach it through an eventfd.
#pragma once

#include "agent/bearer_auth.h"
#include "agent/http_request.h"
#include "agent/log_limiter.h"
#include "agent/plugin.h"
#include "agent/tls_server.h"
#include "agent/unique_fd.h"
#include "inputs/common/json_line.h"
#include "inputs/common/line_splitter.h"
#include "inputs/common/record_encoder.h"
#include "inputs/events/events_input_config.h"
#include "inputs/events/idempotency_keys.h"
#include "inputs/events/listeners.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace drover::inputs {

class EventsInput final : public Input {
 public:
  /// Opens the listeners: an address in use is a start-up error (ConfigError).
  EventsInput(EventsInputConfig config, const ComponentContext& context);
  ~EventsInput() override;

  Status run(BatchSink& out, std::stop_token stop) override;
  /// The listeners (fixed at construction) and the open connections.
  /// The token file, read again on SIGHUP.
  Status reread_files() override;
  void describe(JsonWriter& out) override {
    out.key("listeners").begin_array();
    if (http_listener_) out.value((tls_ ? "https://" : "http://") + http_listener_->address);
    if (socket_listener_) out.value("unix:" + socket_listener_->address);
    out.end_array();
    out.member("connections", counters_.connections->value());
  }

 private:
  using Clock = std::chrono::steady_clock;
  class AckWaiter;
  struct Connection;
  struct Waiter {  // a connection answered when a ticket's batch is safe, or at its deadline
    uint64_t connection;
    bool keep_alive;
    Clock::time_point deadline;
  };
  struct Waiting {  // a batch whose request waits to hear it is safe
    AckLevel level;
    size_t events;
    std::shared_ptr<DeliveryReceipt> receipt;
    std::vector<Waiter> waiters;  // its request; repeats of its Idempotency-Key
    std::string idempotency_key;  // empty: none (then it is forgotten when no one waits)
  };
  struct Counters {
    Counter* records;
    Counter* bytes;
    Counter* invalid;
    Counter* truncated;
    Counter* connections;  // gauge
    Counter* refused_connections;
    Counter* dropped_at_stop;   // read from a stream, no room to queue them when stopping
    Counter* idle_closed;       // keep-alive connections closed after idle_timeout
    Counter* repeats_answered;  // Idempotency-Key repeats answered with the first reply
    Counter* repeats_waiting;   // ... that waited for the first request's ack
    Counter* idempotency_evicted;
    Counter* tls_handshake_failures;
    Counter* otlp_rejected;  // OTLP log records that could not be read (partial success)
  };

  void accept_all(int listener_fd, bool http);
  void on_readable(Connection& connection);
  /// HTTPS: what OpenSSL can decrypt now (the handshake happens within); then serve_http.
  void read_tls(Connection& connection);
  /// Answers every complete request buffered on the connection, until one must wait.
  void serve_http(Connection& connection);
  void serve_events_request(Connection& connection, AckLevel level, std::string_view body,
                            bool keep_alive, std::string_view idempotency_key);
  /// POST /v1/logs: an OTLP ExportLogsServiceRequest (JSON), each log record an event.
  void serve_otlp_logs(Connection& connection, AckLevel level, const RequestHead& head,
                       std::string_view body, bool keep_alive);
  /// A repeat of an Idempotency-Key seen within the window is answered (or waits) as its first
  /// request was; false when the key is new.
  bool answer_repeat(Connection& connection, std::string_view key, bool keep_alive,
                     Clock::time_point now);
  void remember(std::string_view key, IdempotencyKeys::Reply reply, Clock::time_point now);
  /// Answers what the connection sent, HTTP requests or socket batches, until one must wait.
  void serve(Connection& connection);
  /// Unix socket: what was read (eof: the peer sends nothing more) goes to the stream or the
  /// batches, once the first line said which the connection is.
  void on_socket_data(Connection& connection, std::string_view data, bool eof);
  void feed_stream(Connection& connection, std::string_view data, bool eof);
  /// Ships what a stream connection sent; false when the queues had no room (retried later).
  bool push_stream(Connection& connection);
  /// Answers every whole batch buffered on a batches connection, until one must wait.
  void serve_socket_batches(Connection& connection);
  void reply(Connection& connection, int status, std::string_view body, bool keep_alive,
             int retry_after_seconds = 0);
  void flush_output(Connection& connection);
  void answer_acknowledged();
  /// The reply every waiter of an acknowledged batch gets.
  IdempotencyKeys::Reply acknowledged_reply(const Waiting& waiting) const;
  /// Sends a waiter its reply (if its connection still waits for `ticket`) and serves what
  /// the connection sent behind the request.
  void answer_waiter(uint64_t ticket, const Waiter& waiter, const IdempotencyKeys::Reply& reply);
  void expire_waits(Clock::time_point now);
  /// The connection no longer waits for its ticket (it closes, or drover stops).
  void stop_waiting(Connection& connection);
  void close_connection(uint64_t id);
  void watch(Connection& connection);
  /// HTTP: starts the timeout of what the connection now waits for from its client, if that
  /// changed (a head or body trickling in keeps its first deadline).
  void arm_timer(Connection& connection, Clock::time_point now);
  /// Answers 408 to connections whose head or body is late, and closes idle ones.
  void expire_connections(Clock::time_point now);
  /// Nothing left to read, answer or ship: the connection can be closed.
  static bool finished(const Connection& connection);
  Counter& requests_with_status(int status);
  std::chrono::milliseconds next_wake(Clock::time_point now) const;
  /// Out of descriptors: the listeners stay registered but report nothing until `until`.
  void pause_listeners(Clock::time_point until);
  void resume_listeners();

  EventsInputConfig config_;
  ComponentContext context_;
  Counters counters_{};
  std::map<int, Counter*> requests_by_status_;
  std::optional<Listener> http_listener_;
  std::optional<Listener> socket_listener_;
  UniqueFd epoll_;
  std::shared_ptr<AckWaiter> acks_;
  JsonLineParser parser_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::map<uint64_t, Waiting> waiting_;  // by ack ticket
  IdempotencyKeys idempotency_;
  uint64_t next_connection_ = 0;
  uint64_t next_ticket_ = 0;
  BatchSink* out_ = nullptr;
  std::stop_token stop_;
  std::string read_buffer_;
  LogLimiter invalid_log_;
  LogLimiter refused_log_;
  DescriptorReserve reserve_;  // to answer and close a connection when none is left
  std::optional<Clock::time_point> listeners_paused_until_;
  Clock::time_point next_timer_scan_{};     // connections' deadlines are looked at this often
  std::shared_ptr<ListenerTokens> tokens_;  // HTTP requests need one (none: all are taken)
  std::shared_ptr<TlsServerContext> tls_;   // HTTPS (none: plain HTTP)
  LogLimiter tls_log_;
  LogLimiter unauthorized_log_;
};

}  // namespace drover::inputs
