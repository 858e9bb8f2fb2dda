#include "inputs/events/otlp_logs.h"

#include "agent/json_escape.h"
#include "agent/json_writer.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace drover::inputs {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

void append_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

/// proto3's JSON writes 64-bit integers as strings; some senders write numbers.
std::optional<int64_t> int64_of(element value) {
  int64_t number = 0;
  if (value.get(number) == simdjson::SUCCESS) return number;
  uint64_t unsigned_number = 0;
  if (value.get(unsigned_number) == simdjson::SUCCESS) {
    return static_cast<int64_t>(unsigned_number);
  }
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

bool append_attributes(std::string& out, element attributes);

/// An AnyValue as plain JSON: {"stringValue":"x"} → "x", arrays and kvlists nested.
bool append_any_value(std::string& out, element value) {
  object fields;
  if (value.get(fields) != simdjson::SUCCESS) return false;
  for (const auto field : fields) {
    const std::string_view kind = field.key;
    if (kind == "stringValue" || kind == "bytesValue") {
      std::string_view text;
      if (field.value.get(text) != simdjson::SUCCESS) return false;
      append_string(out, text);
    } else if (kind == "boolValue") {
      bool flag = false;
      if (field.value.get(flag) != simdjson::SUCCESS) return false;
      out += flag ? "true" : "false";
    } else if (kind == "intValue") {
      const auto number = int64_of(field.value);
      if (!number) return false;
      out += std::to_string(*number);
    } else if (kind == "doubleValue") {
      double number = 0;
      std::string_view text;
      if (field.value.get(number) == simdjson::SUCCESS) {
        out += fmt::format("{}", number);
      } else if (field.value.get(text) == simdjson::SUCCESS) {
        append_string(out, text);  // "NaN", "Infinity": not JSON numbers
      } else {
        return false;
      }
    } else if (kind == "arrayValue") {
      array values;
      if (field.value["values"].get(values) != simdjson::SUCCESS) {
        out += "[]";
        return true;
      }
      out += '[';
      bool first = true;
      for (const element item : values) {
        if (!first) out += ',';
        first = false;
        if (!append_any_value(out, item)) return false;
      }
      out += ']';
    } else if (kind == "kvlistValue") {
      element values;
      if (field.value["values"].get(values) != simdjson::SUCCESS) {
        out += "{}";
        return true;
      }
      if (!append_attributes(out, values)) return false;
    } else {
      return false;
    }
    return true;  // one kind per AnyValue
  }
  out += "null";  // an empty AnyValue
  return true;
}

/// [{"key":"k","value":{…}}, …] → {"k":…, …}
bool append_attributes(std::string& out, element attributes) {
  array list;
  if (attributes.get(list) != simdjson::SUCCESS) return false;
  out += '{';
  bool first = true;
  for (const element attribute : list) {
    std::string_view key;
    if (attribute["key"].get(key) != simdjson::SUCCESS) return false;
    if (!first) out += ',';
    first = false;
    append_string(out, key);
    out += ':';
    element value;
    if (attribute["value"].get(value) != simdjson::SUCCESS) {
      out += "null";
    } else if (!append_any_value(out, value)) {
      return false;
    }
  }
  out += '}';
  return true;
}

bool append_hex_id(std::string& out, const char* name, element record) {
  std::string_view id;
  if (record[name].get(id) != simdjson::SUCCESS || id.empty()) return true;  // absent
  for (const char c : id) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  out += fmt::format(",\"{}\":\"", name[0] == 't' ? "trace_id" : "span_id");
  for (const char c : id) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out += '"';
  return true;
}

/// One log record as an event; false (nothing written) when it cannot be read.
bool append_record(std::string& out, element record, std::string_view resource,
                   std::string_view scope) {
  if (!record.is_object()) return false;
  std::string event = "{";
  std::optional<int64_t> nanos;
  for (const char* name : {"timeUnixNano", "observedTimeUnixNano"}) {
    element value;
    if (record[name].get(value) != simdjson::SUCCESS) continue;
    nanos = int64_of(value);
    if (!nanos) return false;
    if (*nanos != 0) break;
  }
  // The event's next member: a comma unless it is the first.
  const auto member = [&event](std::string_view name) {
    if (event.size() > 1) event += ',';
    append_string(event, name);
    event += ':';
  };
  if (nanos && *nanos != 0) {
    member("@timestamp");
    append_string(event, format_utc(std::chrono::system_clock::time_point(
                             std::chrono::milliseconds(*nanos / 1'000'000))));
  }
  std::string_view severity_text;
  if (record["severityText"].get(severity_text) == simdjson::SUCCESS && !severity_text.empty()) {
    member("severity_text");
    append_string(event, severity_text);
  }
  if (element severity; record["severityNumber"].get(severity) == simdjson::SUCCESS) {
    const auto number = int64_of(severity);
    if (!number) return false;
    member("severity_number");
    event += std::to_string(*number);
  }
  std::string_view event_name;
  if (record["eventName"].get(event_name) == simdjson::SUCCESS && !event_name.empty()) {
    member("event_name");
    append_string(event, event_name);
  }
  member("body");
  if (element body; record["body"].get(body) == simdjson::SUCCESS) {
    if (!append_any_value(event, body)) return false;
  } else {
    event += "null";
  }
  if (!append_hex_id(event, "traceId", record) || !append_hex_id(event, "spanId", record)) {
    return false;
  }
  if (element attributes; record["attributes"].get(attributes) == simdjson::SUCCESS) {
    event += ",\"attributes\":";
    if (!append_attributes(event, attributes)) return false;
  }
  if (!resource.empty()) event.append(",\"resource\":").append(resource);
  if (!scope.empty()) event.append(",\"scope\":").append(scope);
  event += "}\n";
  out += event;
  return true;
}

}  // namespace

OtlpLogs otlp_logs_to_events(std::string_view json) {
  OtlpLogs logs;
  static thread_local simdjson::dom::parser parser;
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    logs.error = fmt::format("not JSON: {}", simdjson::error_message(error));
    return logs;
  }
  array resource_logs;
  if (!root.is_object()) {
    logs.error = "not an ExportLogsServiceRequest: a JSON object with \"resourceLogs\" is expected";
    return logs;
  }
  if (root["resourceLogs"].get(resource_logs) != simdjson::SUCCESS) return logs;  // nothing sent
  const auto reject = [&](size_t r, size_t s, size_t l) {
    if (logs.rejected++ == 0) {
      logs.rejected_why = fmt::format(
          "resourceLogs[{}].scopeLogs[{}].logRecords[{}] is not a log record drover can read", r, s,
          l);
    }
  };
  size_t r = 0;
  for (const element resource_log : resource_logs) {
    std::string resource;
    if (element attributes;
        resource_log["resource"]["attributes"].get(attributes) == simdjson::SUCCESS &&
        !append_attributes(resource, attributes)) {
      resource.clear();
    }
    array scope_logs;
    if (resource_log["scopeLogs"].get(scope_logs) != simdjson::SUCCESS) {
      ++r;
      continue;
    }
    size_t s = 0;
    for (const element scope_log : scope_logs) {
      std::string scope;
      std::string_view name;
      if (scope_log["scope"]["name"].get(name) == simdjson::SUCCESS && !name.empty()) {
        scope = "{\"name\":";
        append_string(scope, name);
        std::string_view version;
        if (scope_log["scope"]["version"].get(version) == simdjson::SUCCESS && !version.empty()) {
          scope += ",\"version\":";
          append_string(scope, version);
        }
        scope += '}';
      }
      array records;
      if (scope_log["logRecords"].get(records) == simdjson::SUCCESS) {
        size_t l = 0;
        for (const element record : records) {
          if (append_record(logs.ndjson, record, resource, scope)) {
            ++logs.records;
          } else {
            reject(r, s, l);
          }
          ++l;
        }
      }
      ++s;
    }
    ++r;
  }
  return logs;
}

std::string otlp_reply_body(int status, std::string_view body, size_t rejected,
                            std::string_view rejected_why) {
  static thread_local simdjson::dom::parser parser;
  if (status == 422) {
    // Delivered, but Kafka refused some for good (they are in the dead-letter file).
    size_t refused = 0;
    array records;
    if (parser.parse(body.data(), body.size())["records"].get(records) == simdjson::SUCCESS) {
      for (const element record : records) refused += record["error"].error() ? 0U : 1U;
    }
    return otlp_reply_body(200, {}, rejected + refused,
                           rejected > 0 ? rejected_why
                                        : "Kafka refused some log records; drover keeps them in "
                                          "its dead-letter file");
  }
  if (status == 200) {
    if (rejected == 0) return "{}";
    std::string reply = fmt::format(
        "{{\"partialSuccess\":{{\"rejectedLogRecords\":\"{}\",\"errorMessage\":", rejected);
    append_string(reply, rejected_why);
    reply += "}}";
    return reply;
  }
  // google.rpc.Code for the HTTP status OTLP clients act on.
  const int code = status == 400 || status == 413   ? 3    // INVALID_ARGUMENT
                   : status == 401                  ? 16   // UNAUTHENTICATED
                   : status == 503 || status == 504 ? 14   // UNAVAILABLE: retried
                                                    : 13;  // INTERNAL
  std::string message(body);
  std::string_view error;
  if (parser.parse(body.data(), body.size())["error"].get(error) == simdjson::SUCCESS) {
    message = error;
  }
  std::string reply = fmt::format("{{\"code\":{},\"message\":", code);
  append_string(reply, message);
  reply += '}';
  return reply;
}

}  // namespace drover::inputs
