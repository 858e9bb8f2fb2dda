#include "outputs/kafka/kafka_log.h"

#include "agent/logging.h"

#include <fmt/format.h>

#include <atomic>

namespace drover::outputs {
namespace {

spdlog::level::level_enum spdlog_level(int syslog_level) {
  if (syslog_level <= 2) return spdlog::level::critical;
  if (syslog_level == 3) return spdlog::level::err;
  if (syslog_level == 4) return spdlog::level::warn;
  if (syslog_level <= 6) return spdlog::level::info;
  return spdlog::level::debug;
}

std::atomic<KafkaLog::Finder> g_find{nullptr};

void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  void* opaque = rd_kafka_opaque(rk);
  const KafkaLog::Finder find = g_find.load();
  KafkaLog* log = opaque != nullptr && find != nullptr ? find(opaque) : nullptr;
  if (log == nullptr) {
    static KafkaLog unowned("(none)");
    log = &unowned;
  }
  log->write(level, facility, message);
}

}  // namespace

KafkaLog::KafkaLog(std::string output)
    : output_(std::move(output)),
      text_prefix_(fmt::format("output {}: librdkafka ", output_)),
      logger_(component_logger("librdkafka")) {}

void KafkaLog::install(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, on_log); }

void KafkaLog::set_finder(Finder find) { g_find = find; }

void KafkaLog::write(int level, const char* facility, const char* message) {
  std::string suffix;
  {
    std::lock_guard lock(mutex_);
    auto suppressed = limiters_[fmt::format("{}|{}", level, facility)].allow();
    if (!suppressed) return;
    if (*suppressed != 0) suffix = fmt::format(" ({} more like this in the last 10s)", *suppressed);
  }
  const std::string prefix = fmt::format("{}{}: ", text_prefix_, facility);
  const LogFields fields{{"output", output_}, {"facility", facility}};
  ScopedLogFields scope(fields, prefix);
  logger_->log(spdlog_level(level), "{}{}", message, suffix);
}

}  // namespace drover::outputs
