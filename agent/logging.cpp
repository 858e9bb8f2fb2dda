#include "agent/logging.h"

#include "agent/json_escape.h"
#include "agent/json_writer.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace drover {
namespace {

thread_local const LogFields* t_fields = nullptr;
thread_local std::string_view t_text_prefix;

/// `%*` in the text pattern: what the thread's ScopedLogFields puts before the message.
class TextPrefixFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.append(t_text_prefix.data(), t_text_prefix.data() + t_text_prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextPrefixFlag>();
  }
};

/// {"time":"2026-12-06T23:25:27.123Z","level":"info","component":"drover","message":"...",...}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string& line = line_;
    line.clear();
    line += R"({"time":")";
    line += format_utc(msg.time);
    line += R"(","level":")";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += R"(","component":")";
    append_json_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += R"(","message":")";
    append_json_escaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += '"';
    if (t_fields != nullptr) {
      for (const auto& [key, value] : *t_fields) {
        line += ",\"";
        append_json_escaped(line, key);
        line += "\":\"";
        append_json_escaped(line, value);
        line += '"';
      }
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  std::string line_;  // one formatter per sink, called under the sink's lock
};

std::mutex g_mutex;
std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> g_sink;

std::unique_ptr<spdlog::formatter> make_formatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  auto text = std::make_unique<spdlog::pattern_formatter>();
  text->add_flag<TextPrefixFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %*%v");
  return text;
}

std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> sink_locked() {
  if (!g_sink) g_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return g_sink;
}

}  // namespace

void setup_logging(const std::string& level, LogFormat format) {
  std::lock_guard lock(g_mutex);
  auto sink = sink_locked();
  sink->set_formatter(make_formatter(format));
  if (spdlog::get("drover") == nullptr) {
    auto logger = std::make_shared<spdlog::logger>("drover", sink);
    spdlog::register_logger(logger);
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(spdlog::level::from_str(level));  // every registered logger
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& component) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(component, sink_locked());
  logger->set_level(spdlog::default_logger_raw()->level());
  spdlog::register_logger(logger);
  return logger;
}

ScopedLogFields::ScopedLogFields(const LogFields& fields, std::string_view text_prefix)
    : previous_fields_(t_fields), previous_prefix_(t_text_prefix) {
  t_fields = &fields;
  t_text_prefix = text_prefix;
}

ScopedLogFields::~ScopedLogFields() {
  t_fields = previous_fields_;
  t_text_prefix = previous_prefix_;
}

}  // namespace drover
