#include "agent/control_commands.h"

#include "agent/admin_client.h"
#include "agent/bearer_auth.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <signal.h>
#include <thread>

namespace drover {
namespace {

constexpr int kExitFailure = 1;

std::string read_first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string human_bytes(uint64_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string human_duration(double seconds) {
  const auto s = static_cast<uint64_t>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
  return fmt::format("{}d{:02}h", s / 86400, (s / 3600) % 24);
}

uint64_t number(simdjson::dom::element e, const char* key) {
  uint64_t n = 0;
  return e[key].get(n) == simdjson::SUCCESS ? n : 0;
}

std::string text(simdjson::dom::element e, const char* key) {
  std::string_view s;
  return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

void print_table(simdjson::dom::element root, std::FILE* out) {
  double uptime = 0;
  bool ready = false;
  if (root["uptime_seconds"].get(uptime) != simdjson::SUCCESS) uptime = 0;
  if (root["ready"].get(ready) != simdjson::SUCCESS) ready = false;
  fmt::print(out, "drover {}  pid {}  up {}  {}\n", text(root, "version"), number(root, "pid"),
             human_duration(uptime), ready ? "ready" : "NOT READY: " + text(root, "not_ready"));
  simdjson::dom::element config = root["config"];
  std::string reload = "none yet";
  simdjson::dom::element last;
  if (config["last_reload"].get(last) == simdjson::SUCCESS && !last.is_null()) {
    reload = fmt::format("{} {}", text(last, "time"), text(last, "result"));
    if (text(last, "result") == "ok") reload += fmt::format(" ({})", text(last, "changed"));
    simdjson::dom::array problems;
    if (last["problems"].get(problems) == simdjson::SUCCESS) {
      for (auto problem : problems) {
        std::string_view p;
        if (problem.get(p) == simdjson::SUCCESS) reload += fmt::format("\n    {}", p);
      }
    }
  }
  fmt::print(out, "config {}\n  last reload: {}\n", text(config, "file"), reload);
  simdjson::dom::array problems;
  if (root["problems"].get(problems) == simdjson::SUCCESS && problems.size() > 0) {
    fmt::print(out, "problems:\n");
    for (auto problem : problems) {
      std::string_view p;
      if (problem.get(p) == simdjson::SUCCESS) fmt::print(out, "  {}\n", p);
    }
  } else {
    fmt::print(out, "problems: none\n");
  }

  fmt::print(out, "\n{:<16} {:<12} {:>12} {:>12}  {}\n", "INPUT", "TYPE", "RECORDS", "BYTES",
             "DETAIL");
  simdjson::dom::object inputs;
  if (root["inputs"].get(inputs) == simdjson::SUCCESS) {
    for (auto [name, input] : inputs) {
      std::string detail;
      if (text(input, "type") == "file") {
        detail = fmt::format("{} file(s), lag {}", number(input, "files_followed"),
                             human_bytes(number(input, "lag_bytes")));
      }
      simdjson::dom::array listeners;
      if (input["listeners"].get(listeners) == simdjson::SUCCESS) {
        for (auto listener : listeners) {
          std::string_view l;
          if (listener.get(l) == simdjson::SUCCESS) detail += fmt::format("{} ", l);
        }
        detail += fmt::format("{} connection(s)", number(input, "connections"));
      }
      simdjson::dom::object dropped;
      if (input["dropped"].get(dropped) == simdjson::SUCCESS) {
        for (auto [reason, n] : dropped) {
          uint64_t count = 0;
          if (n.get(count) == simdjson::SUCCESS && count > 0) {
            detail += fmt::format(", dropped {} ({})", count, reason);
          }
        }
      }
      fmt::print(out, "{:<16} {:<12} {:>12} {:>12}  {}\n", name, text(input, "type"),
                 number(input, "records"), human_bytes(number(input, "bytes")), detail);
    }
  }

  fmt::print(out, "\n{:<16} {:<8} {:>9} {:>10} {:>10} {:>10} {:>12} {:>8}  {}\n", "OUTPUT", "TYPE",
             "BROKERS", "IN FLIGHT", "QUEUE MEM", "QUEUE DISK", "DELIVERED", "DEAD", "LAST ERROR");
  simdjson::dom::object outputs;
  if (root["outputs"].get(outputs) != simdjson::SUCCESS) return;
  for (auto [name, output] : outputs) {
    simdjson::dom::element accounting = output["accounting"];
    simdjson::dom::element queue = output["queue"];
    std::string brokers = "-";
    simdjson::dom::element b;
    if (output["brokers"].get(b) == simdjson::SUCCESS) {
      brokers = fmt::format("{}/{}", number(b, "up"), number(b, "up") + number(b, "down"));
    }
    std::string last_error = "-";
    simdjson::dom::element error;
    if (output["last_error"].get(error) == simdjson::SUCCESS && !error.is_null()) {
      last_error = fmt::format("{} {}", text(error, "time"), text(error, "message"));
    }
    fmt::print(out, "{:<16} {:<8} {:>9} {:>10} {:>10} {:>10} {:>12} {:>8}  {}\n", name,
               text(output, "type"), brokers, number(accounting, "in_flight"),
               human_bytes(number(queue, "memory_bytes")), human_bytes(number(queue, "disk_bytes")),
               number(accounting, "delivered"), number(accounting, "dead_lettered"), last_error);
    simdjson::dom::array parked;
    if (output["parked_routes"].get(parked) == simdjson::SUCCESS) {
      for (auto route : parked) {
        fmt::print(out, "  parked: topic {}: {}\n", text(route, "topic"), text(route, "why"));
      }
    }
    bool balanced = false;
    if (accounting["balanced"].get(balanced) != simdjson::SUCCESS) balanced = false;
    fmt::print(out,
               "  records: received {} = delivered {} + dead-lettered {} + in flight {} + given "
               "back {}  {}\n",
               number(accounting, "received"), number(accounting, "delivered"),
               number(accounting, "dead_lettered"), number(accounting, "in_flight"),
               number(accounting, "given_back"), balanced ? "(balanced)" : "(NOT BALANCED)");
  }
}

}  // namespace

std::filesystem::path pid_file_of(const AgentSettings& settings) {
  return settings.data_dir / "drover.pid";
}

std::string admin_address_of(const AgentSettings& settings) {
  const std::string written = read_first_line(settings.data_dir / "admin.address");
  return written.empty() ? settings.admin_address : written;
}

std::string admin_token_of(const AgentSettings& settings) {
  if (settings.admin_token_file.empty()) return "";
  auto tokens = BearerTokens::load(settings.admin_token_file);
  return tokens ? tokens->first() : "";
}

int run_status_command(const std::string& admin_address, const std::string& token, bool json,
                       std::FILE* out) {
  auto reply = admin_get(admin_address, "/status", token);
  if (!reply) {
    fmt::print(stderr, "drover: {} (is drover running? --admin ADDR names another address)\n",
               reply.error().message);
    return kExitFailure;
  }
  if (reply->status != 200) {
    fmt::print(stderr, "drover: {} answered /status with HTTP {}\n", admin_address, reply->status);
    return kExitFailure;
  }
  if (json) {
    fmt::print(out, "{}", reply->body);
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(reply->body).get(root) != simdjson::SUCCESS) {
    fmt::print(stderr, "drover: /status at {} is not valid JSON\n", admin_address);
    return kExitFailure;
  }
  print_table(root, out);
  return 0;
}

int run_reload_command(const AgentSettings& settings, std::FILE* out) {
  const std::filesystem::path pid_file = pid_file_of(settings);
  const std::string pid_text = read_first_line(pid_file);
  const int pid = std::atoi(pid_text.c_str());
  if (pid <= 0 || ::kill(pid, 0) != 0) {
    fmt::print(
        stderr, "drover: no running drover found through {}{}\n", pid_file.string(),
        pid <= 0 ? " (missing or empty)" : fmt::format(" (pid {}: {})", pid, std::strerror(errno)));
    return kExitFailure;
  }
  const std::string admin = admin_address_of(settings);
  const std::string token = admin_token_of(settings);
  // The reload is done when /status names a reload newer than the one before the signal.
  const auto last_reload_time = [&]() -> std::optional<std::string> {
    auto reply = admin_get(admin, "/status", token);
    if (!reply || reply->status != 200) return std::nullopt;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(reply->body).get(root) != simdjson::SUCCESS) return std::nullopt;
    simdjson::dom::element last;
    if (root["config"]["last_reload"].get(last) != simdjson::SUCCESS || last.is_null()) {
      return std::string();
    }
    return text(last, "time");
  };
  const std::optional<std::string> before = last_reload_time();
  if (::kill(pid, SIGHUP) != 0) {
    fmt::print(stderr, "drover: cannot signal pid {}: {}\n", pid, std::strerror(errno));
    return kExitFailure;
  }
  if (!before) {
    fmt::print(out,
               "sent SIGHUP to drover (pid {}); its admin endpoint ({}) does not answer, so "
               "see its log for the result\n",
               pid, admin.empty() ? "off" : admin);
    return 0;
  }
  // A reload waits for replaced inputs and outputs up to shutdown_timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + settings.shutdown_timeout * 2 + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto now = last_reload_time(); now && *now != *before) {
      auto reply = admin_get(admin, "/status", token);
      simdjson::dom::parser parser;
      simdjson::dom::element root;
      if (!reply || parser.parse(reply->body).get(root) != simdjson::SUCCESS) break;
      simdjson::dom::element last = root["config"]["last_reload"];
      const bool ok = text(last, "result") == "ok";
      if (ok) {
        fmt::print(out, "reload applied (pid {}): {}\n", pid, text(last, "changed"));
      } else {
        fmt::print(out, "reload FAILED (pid {}); what the problems concern runs as before:\n", pid);
      }
      simdjson::dom::array problems;
      if (last["problems"].get(problems) == simdjson::SUCCESS) {
        for (auto problem : problems) {
          std::string_view p;
          if (problem.get(p) == simdjson::SUCCESS) fmt::print(out, "  {}\n", p);
        }
      }
      return ok ? 0 : kExitFailure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fmt::print(stderr, "drover: sent SIGHUP to pid {} but saw no reload result at {}\n", pid, admin);
  return kExitFailure;
}

}  // namespace drover
