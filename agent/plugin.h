// The two plugin interfaces and what the agent hands them when it builds them.
// An input runs on its own thread; an output runs its sender loop on its own thread.
#pragma once

#include "agent/batch.h"
#include "agent/batch_queue.h"
#include "agent/health.h"
#include "agent/json_writer.h"
#include "agent/metrics.h"
#include "agent/startup_progress.h"
#include "base/status.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace drover {

/// Where an input hands its batches: the router, bound to that input.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  /// Routes the batch to every output that reads this input. Blocks while an output queue is
  /// full. Returns false when stopping: the batch was not (fully) accepted and will not be acked.
  virtual bool push(std::shared_ptr<Batch> batch, std::stop_token stop) = 0;
  /// push() that gives up at `deadline` (an input that can tell its producer to come back
  /// later). kTimedOut: no output took it; once one has, the others are waited for.
  virtual PushResult push_until(std::shared_ptr<Batch> batch, std::stop_token stop,
                                std::chrono::steady_clock::time_point /*deadline*/) {
    return push(std::move(batch), stop) ? PushResult::kQueued : PushResult::kStopping;
  }
};

struct ComponentContext {
  std::string name;  // the component's name in the config
  std::string host;  // this machine's host name
  std::filesystem::path data_dir;
  Metrics* metrics = nullptr;
  uint64_t memory_bytes = 0;  // an output's queue budget; it sizes client-side buffers too (I4)
  Health* health = nullptr;   // problems for /healthz; may be null (tests)
  StartupProgress* progress = nullptr;  // long start-up work (/readyz); may be null (tests)
  /// An input whose source ends (standard input) calls this once what it read is delivered or
  /// given up: drover then stops as on SIGTERM and exits with `exit_code`. May be empty (tests).
  std::function<void(int exit_code)> source_ended = nullptr;
  bool show_progress = false;  // a finite input may draw a progress line on the terminal
};

/// A source of records. Owned by the Agent; run() executes on its own thread.
class Input {
 public:
  virtual ~Input() = default;
  /// Reads until `stop` is requested and pushes batches into `out`; each batch carries the
  /// ack that commits its source position. Returns an error only when it cannot go on.
  virtual Status run(BatchSink& out, std::stop_token stop) = 0;
  /// Called once after every output has stopped: commit the positions acknowledged while the
  /// outputs flushed.
  virtual Status save_positions() { return Status::ok(); }
  /// After run() returned: every batch it pushed has been made safe, so its positions are all
  /// committed. A reload that replaces the input waits for this (up to shutdown_timeout)
  /// before the new one starts from the saved positions: nothing read twice.
  virtual bool settled() const { return true; }
  /// Writes what /status shows of it beyond its counters, as members of the open object.
  /// Called on the admin thread: reads only what is safe to read from there.
  virtual void describe(JsonWriter& /*out*/) {}
  /// On SIGHUP, for an input a reload keeps as it is: reads again the files its settings name
  /// (token files, certificates), whose content may have changed though the settings did not.
  /// Called on the main thread while run() goes on. An error keeps what was read before.
  virtual Status reread_files() { return Status::ok(); }
};

/// A destination. Owned by the Agent; run() executes on its own (sender) thread.
class Output {
 public:
  virtual ~Output() = default;
  /// Drains `queue` until it is closed and empty and everything taken is settled, or until
  /// `stop` is requested (the shutdown deadline has passed: abandon what is in flight, its
  /// source positions stay uncommitted). Calls Batch::complete() once a batch is safe.
  virtual Status run(BatchQueue& queue, std::stop_token stop) = 0;
  /// After run() returned: what it took from the queue and could not make safe, oldest first,
  /// reduced to the records still pending. The agent saves them to the queue's disk part ahead
  /// of everything else, so the next start sends them first and nothing twice (I6).
  virtual std::vector<BatchPtr> take_unfinished() { return {}; }
  /// As Input::describe().
  virtual void describe(JsonWriter& /*out*/) {}
};

}  // namespace drover
