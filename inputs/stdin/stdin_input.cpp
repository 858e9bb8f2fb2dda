#include "inputs/stdin/stdin_input.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>
#include <vector>

namespace drover::inputs {
namespace {

constexpr size_t kReadBytes = 256 << 10;
constexpr auto kProgressInterval = std::chrono::milliseconds(500);

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

StdinInput::StdinInput(StdinConfig config, const ComponentContext& context, int fd)
    : config_(std::move(config)),
      context_(context),
      fd_(fd),
      source_(std::make_shared<SourceInfo>(SourceInfo{context.name, context.host, "-"})),
      encoder_(config_.codec, *source_, config_.invalid_utf8, /*with_origin=*/false),
      splitter_(0, config_.max_line_bytes),
      progress_(context.show_progress && ::isatty(STDERR_FILENO) == 1) {
  if (config_.parser == Parser::kJson) json_.emplace(config_.json);
  if (config_.multiline) {
    const auto& multiline = *config_.multiline;
    multiline_.emplace(
        *config_.multiline,
        std::make_shared<const RE2>(multiline.start_pattern.empty() ? multiline.continuation_pattern
                                                                    : multiline.start_pattern,
                                    RE2::Quiet));
  }
  Metrics& m = *context_.metrics;
  const Labels labels{{"input", context_.name}};
  records_ = &m.counter("drover_input_records_total", labels);
  bytes_ = &m.counter("drover_input_bytes_total", labels);
  truncated_ = &m.counter("drover_input_truncated_lines_total", labels);
  invalid_utf8_ = &m.counter("drover_input_invalid_utf8_bytes_total", labels);
  missing_key_ = &m.counter("drover_input_key_missing_total", labels);
  read_errors_ = &m.counter("drover_input_read_errors_total", labels);
}

void StdinInput::add_line(const Line& line) {
  if (!multiline_) {
    add_record(line);
    return;
  }
  multiline_->add(line, [&](const Line& record) { add_record(record); });
}

void StdinInput::add_record(const Line& record) {
  if (timestamp_.empty()) timestamp_ = format_timestamp(unix_ms_now());
  Line value = record;
  std::optional<std::string_view> key;
  if (!config_.key_separator.empty()) {
    const auto at = record.text.find(config_.key_separator);
    if (at != std::string_view::npos) {
      key = record.text.substr(0, at);
      value.text = record.text.substr(at + config_.key_separator.size());
    } else if (config_.missing_key == MissingKey::kError) {
      ++lines_without_key_;
      missing_key_->add();
      if (auto suppressed = missing_key_log_.allow()) {
        spdlog::error("input {}: the line at byte {} has no key separator \"{}\"; not sent{}",
                      context_.name, record.offset, config_.key_separator,
                      *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
      return;
    }
  }
  if (!batch_) batch_ = std::make_shared<Batch>(source_, unix_ms_now());
  const size_t before = batch_->byte_size();
  const auto outcome = encoder_.encode(*batch_, value, timestamp_, json_ ? &*json_ : nullptr);
  if (key) batch_->set_record_key(*key);
  if (outcome.replaced_utf8_bytes != 0) invalid_utf8_->add(outcome.replaced_utf8_bytes);
  if (record.truncated) truncated_->add();
  bytes_->add(batch_->byte_size() - before);
}

bool StdinInput::push(BatchSink& out, std::stop_token stop) {
  if (!batch_) return true;
  std::shared_ptr<Batch> batch = std::move(batch_);
  batch_.reset();
  records_->add(batch->record_count());
  batch->set_ack(tally_->add(tally_, batch->record_count()));
  return out.push(std::move(batch), stop);
}

void StdinInput::show_progress(bool last) {
  if (!progress_) return;
  const auto totals = tally_->totals();
  fmt::print(stderr, "\r{} records read ({}), {} delivered{}", totals.sent, mib(bytes_->value()),
             totals.delivered, last ? "\n" : "");
  std::fflush(stderr);
}

int StdinInput::finish(BatchSink& out, std::stop_token stop) {
  timestamp_.clear();
  splitter_.flush([&](const Line& line) { add_line(line); });
  if (multiline_) multiline_->flush([&](const Line& record) { add_record(record); });
  if (!push(out, stop)) return 1;
  const auto deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  bool all_safe = false;
  while (!stop.stop_requested() && !all_safe && std::chrono::steady_clock::now() < deadline) {
    all_safe = tally_->wait_all_safe(
        std::min(deadline, std::chrono::steady_clock::now() + kProgressInterval));
    show_progress(false);
  }
  show_progress(true);
  const auto totals = tally_->totals();
  const uint64_t undelivered = totals.sent - totals.delivered - totals.failed;
  std::string summary = fmt::format("{} records ({}) sent to Kafka, {} failed", totals.delivered,
                                    mib(bytes_->value()), totals.failed + undelivered);
  if (undelivered > 0) {
    summary += fmt::format(
        ": {} not acknowledged within {} s (drain_timeout; drover produce --timeout); is Kafka "
        "reachable? drover's log above says what it saw",
        undelivered, static_cast<double>(config_.drain_timeout.count()) / 1000);
  }
  if (totals.failed > 0) summary += fmt::format("; {} dead-lettered", totals.failed);
  if (lines_without_key_ > 0) {
    summary += fmt::format("; {} lines without the key separator \"{}\" not sent",
                           lines_without_key_, config_.key_separator);
  }
  fmt::print(stderr, "drover: {}\n", summary);
  std::fflush(stderr);
  spdlog::info("input {}: end of input: {}", context_.name, summary);
  return totals.failed + undelivered + lines_without_key_ == 0 ? 0 : 1;
}

Status StdinInput::run(BatchSink& out, std::stop_token stop) {
  std::stop_callback wake_on_stop(stop, [this] { wake_.wake(); });
  std::vector<char> buffer(kReadBytes);
  auto next_progress = std::chrono::steady_clock::now() + kProgressInterval;
  while (!stop.stop_requested()) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(config_.batch_timeout.count()));
    if (ready == 0) {  // input paused: what was read goes out
      if (!push(out, stop)) break;
      if (multiline_ && multiline_->has_pending() &&
          std::chrono::steady_clock::now() - multiline_->last_line() >=
              config_.multiline->flush_timeout) {
        multiline_->flush([&](const Line& record) { add_record(record); });
      }
      continue;
    }
    if (fds[1].revents != 0) break;
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      if (n < 0) {
        read_errors_->add();
        spdlog::error("input {}: cannot read standard input: {}; ending as at its end",
                      context_.name, std::strerror(errno));
      }
      const int exit_code = finish(out, stop);
      if (context_.source_ended) context_.source_ended(exit_code);
      break;
    }
    timestamp_.clear();
    splitter_.feed(std::string_view(buffer.data(), static_cast<size_t>(n)),
                   [&](const Line& line) { add_line(line); });
    if (batch_ && batch_->byte_size() >= config_.batch_bytes && !push(out, stop)) break;
    if (progress_ && std::chrono::steady_clock::now() >= next_progress) {
      show_progress(false);
      next_progress = std::chrono::steady_clock::now() + kProgressInterval;
    }
  }
  return Status::ok();
}

}  // namespace drover::inputs
