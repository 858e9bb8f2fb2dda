#include "inputs/journald/journald_input.h"

#include "agent/checkpoint_store.h"
#include "inputs/common/record_encoder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <poll.h>

namespace drover::inputs {
namespace {

// How long the journal is waited on before the cursor is saved or stop is looked at again.
constexpr auto kWaitSlice = std::chrono::milliseconds(500);
// How often a journal that cannot be opened is tried again.
constexpr auto kReopenInterval = std::chrono::seconds(5);

std::string where_of(const JournaldConfig& config) {
  if (!config.directory.empty()) return config.directory;
  if (!config.files.empty()) return fmt::format("{}", fmt::join(config.files, ", "));
  return "the system journal";
}

std::string read_cursor(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string cursor;
  std::getline(in, cursor);
  return cursor;
}

}  // namespace

JournaldInput::JournaldInput(JournaldConfig config, const ComponentContext& context)
    : config_(std::move(config)),
      context_(context),
      source_(
          std::make_shared<SourceInfo>(SourceInfo{context.name, context.host, config_.directory})),
      encoder_(config_, *source_),
      cursor_file_(context.data_dir / "checkpoints" / (context.name + ".cursor")),
      tracker_(std::make_shared<CursorTracker>(read_cursor(cursor_file_))),
      saved_cursor_(tracker_->committed()),
      where_(where_of(config_)) {
  Metrics& m = *context_.metrics;
  const Labels labels{{"input", context_.name}};
  records_ = &m.counter("drover_input_records_total", labels);
  bytes_ = &m.counter("drover_input_bytes_total", labels);
  invalid_utf8_ = &m.counter("drover_input_invalid_utf8_bytes_total", labels);
  read_errors_ = &m.counter("drover_input_read_errors_total", labels);
  checkpoint_errors_ = &m.counter("drover_input_checkpoint_errors_total", labels);
  files_changed_total_ = &m.counter("drover_journald_files_changed_total", labels);
  unreadable_files_total_ = &m.counter("drover_journald_unreadable_files_total", labels);
  cursor_lost_ = &m.counter("drover_journald_cursor_lost_total", labels);
  truncated_fields_ = &m.counter("drover_journald_truncated_fields_total", labels);
}

Status JournaldInput::position(Journal& journal) {
  const std::string cursor = tracker_->committed();
  if (!cursor.empty()) {
    auto found = journal.seek_after(cursor);
    if (!found) return found.error();
    if (*found) {
      spdlog::info("input {}: resuming {} after the checkpoint's entry", context_.name, where_);
      return Status::ok();
    }
    cursor_lost_->add();
    spdlog::warn(
        "input {}: the entry at the checkpoint is no longer in {} (vacuumed, or another "
        "journal); reading from the first entry after it ({})",
        context_.name, where_, cursor_file_.string());
    return Status::ok();
  }
  if (config_.start_at == JournalStartAt::kBeginning) return journal.seek_head();
  return journal.seek_tail();
}

std::shared_ptr<Batch> JournaldInput::read_batch(Journal& journal) {
  std::shared_ptr<Batch> batch;
  while (batch == nullptr || batch->byte_size() < config_.batch_bytes) {
    auto more = journal.next();
    if (!more) {
      read_errors_->add();
      if (auto suppressed = read_error_log_.allow()) {
        spdlog::error("input {}: {} in {}{}", context_.name, more.error().message, where_,
                      *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
      }
      break;
    }
    if (!*more) break;
    if (const size_t cut = journal.read_entry(entry_, config_.max_field_bytes); cut > 0) {
      truncated_fields_->add(cut);
    }
    if (batch == nullptr) batch = std::make_shared<Batch>(source_, unix_ms_now());
    const size_t before = batch->byte_size();
    invalid_utf8_->add(encoder_.encode(*batch, entry_));
    bytes_->add(batch->byte_size() - before);
  }
  if (batch == nullptr) return nullptr;
  // Once per batch: sd-journal stays on the last entry it read (a next() that finds nothing, or
  // fails, does not move it), and building a cursor costs as much as reading an entry.
  std::string last_cursor = journal.cursor();
  records_->add(batch->record_count());
  batch->set_ack(std::make_shared<AckGroup>(tracker_, tracker_->add(std::move(last_cursor))));
  return batch;
}

void JournaldInput::check_files() {
  for (const auto& file : journal_files(config_)) {
    if (!checked_files_.insert(file).second) continue;
    if (auto reason = unreadable_journal_file(file)) {
      unreadable_files_total_->add();
      {
        std::lock_guard lock(status_mutex_);
        ++unreadable_files_;
      }
      spdlog::error("input {}: cannot read the journal file {}: {}; its entries are skipped{}",
                    context_.name, file, *reason,
                    reason->find("ermission") != std::string::npos
                        ? " (drover needs to be in the systemd-journal group)"
                        : "");
    }
  }
}

void JournaldInput::save_if_changed() {
  const std::string cursor = tracker_->committed();
  // Empty only if sd-journal could not name an entry: the saved cursor stays the better one.
  if (cursor == saved_cursor_ || cursor.empty()) return;
  if (Status s = write_file_atomically(cursor_file_, cursor + "\n"); !s) {
    checkpoint_errors_->add();
    if (auto suppressed = checkpoint_error_log_.allow()) {
      spdlog::error("input {}: cannot save the journal cursor: {}{}", context_.name,
                    s.error().message,
                    *suppressed ? fmt::format(" ({} more like this)", *suppressed) : "");
    }
    return;
  }
  saved_cursor_ = cursor;
}

std::optional<Journal> JournaldInput::open_journal(std::stop_token stop) {
  while (!stop.stop_requested()) {
    auto journal = Journal::open(config_);
    Status positioned = journal ? position(*journal) : Status(journal.error());
    if (positioned) {
      {
        std::lock_guard lock(status_mutex_);
        open_error_.clear();
      }
      if (context_.health != nullptr) context_.health->clear("input " + context_.name, "journal");
      return std::move(*journal);
    }
    // A journal that is not there yet (a container's, before it starts) may come: try again.
    read_errors_->add();
    {
      std::lock_guard lock(status_mutex_);
      open_error_ = positioned.error().message;
    }
    if (context_.health != nullptr) {
      context_.health->raise("input " + context_.name, "journal", positioned.error().message);
    }
    if (auto suppressed = open_error_log_.allow()) {
      if (context_.health != nullptr) {
        context_.health->note_error("input " + context_.name, positioned.error().message);
      }
      spdlog::error("input {}: {}; trying again every {} s{}", context_.name,
                    positioned.error().message, kReopenInterval.count(),
                    *suppressed ? fmt::format(" ({} more times)", *suppressed) : "");
    }
    pollfd wake{wake_.get(), POLLIN, 0};
    ::poll(&wake, 1,
           static_cast<int>(
               std::chrono::duration_cast<std::chrono::milliseconds>(kReopenInterval).count()));
  }
  return std::nullopt;
}

Status JournaldInput::run(BatchSink& out, std::stop_token stop) {
  std::error_code error;
  std::filesystem::create_directories(cursor_file_.parent_path(), error);
  std::stop_callback wake_on_stop(stop, [this] { wake_.wake(); });
  std::optional<Journal> journal = open_journal(stop);
  if (!journal) return Status::ok();  // stopped before the journal could be opened
  check_files();
  spdlog::info("input {}: reading {}{}", context_.name, where_,
               journal_matches(config_).empty()
                   ? std::string()
                   : fmt::format(" where {}", fmt::join(journal_matches(config_), ", ")));
  auto next_save = std::chrono::steady_clock::now() + config_.checkpoint_interval;
  while (!stop.stop_requested()) {
    if (auto batch = read_batch(*journal)) {
      if (!out.push(std::move(batch), stop)) break;
    } else {
      if (journal->wait(kWaitSlice, wake_.get())) {
        files_changed_total_->add();
        if (auto suppressed = files_changed_log_.allow()) {
          spdlog::info("input {}: journal files were added or removed (rotation, vacuuming){}",
                       context_.name,
                       *suppressed ? fmt::format(" ({} more times)", *suppressed) : "");
        }
        check_files();
      }
    }
    if (std::chrono::steady_clock::now() >= next_save) {
      save_if_changed();
      next_save = std::chrono::steady_clock::now() + config_.checkpoint_interval;
    }
  }
  save_if_changed();
  return Status::ok();
}

Status JournaldInput::save_positions() {
  save_if_changed();
  return Status::ok();
}

void JournaldInput::describe(JsonWriter& out) {
  std::lock_guard lock(status_mutex_);
  out.member("journal", where_);
  out.member("cursor", tracker_->committed());
  out.member("unreadable_files", unreadable_files_);
  if (!open_error_.empty()) out.member("error", open_error_);
}

}  // namespace drover::inputs
