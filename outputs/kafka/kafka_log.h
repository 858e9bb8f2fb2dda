// librdkafka's log lines in drover's log: librdkafka calls back (from its own threads) instead
// of printing its raw "%3|1796520250.449|FAIL|..." format to stderr. A line names the output
// and librdkafka's facility; a facility repeating itself is rate-limited with a count.
#pragma once

#include "agent/log_limiter.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace drover::outputs {

class KafkaLog {
 public:
  /// `output` is the output's name; each line names it. Made before the client: its logger is
  /// looked up here, on the thread that makes the client, not first on a librdkafka thread.
  explicit KafkaLog(std::string output);

  /// Routes the log of the client made from `conf` to drover's log: to the KafkaLog the
  /// finder makes of the client's opaque, or, for a client without one, to a shared one.
  static void install(rd_kafka_conf_t* conf);
  using Finder = KafkaLog* (*)(void* opaque);
  /// The one way from a client's (non-null) opaque to its KafkaLog; set before any client.
  static void set_finder(Finder find);

  /// One librdkafka line (syslog level 0-7).
  void write(int level, const char* facility, const char* message);

 private:
  std::string output_;
  std::string text_prefix_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex mutex_;
  std::map<std::string, LogLimiter, std::less<>> limiters_;  // by level and facility
};

}  // namespace drover::outputs
