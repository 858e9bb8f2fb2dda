#include "outputs/kafka/topic_name.h"

#include <fmt/format.h>

namespace drover::outputs {

std::optional<std::string> invalid_topic_name(std::string_view name) {
  constexpr size_t kMaxLength = 249;  // Kafka's limit (Topic.MAX_NAME_LENGTH)
  if (name.empty()) return "a topic name must not be empty";
  if (name == "." || name == "..") return fmt::format("'{}' is not allowed as a topic name", name);
  if (name.size() > kMaxLength) {
    return fmt::format("a topic name is at most {} characters; '{}...' has {}", kMaxLength,
                       name.substr(0, 40), name.size());
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) {
      return fmt::format(
          "'{}' has the character {:?} at position {}; Kafka topic names allow only letters, "
          "digits, '.', '_' and '-'",
          name, std::string_view(&name[i], 1), i + 1);
    }
  }
  return std::nullopt;
}

}  // namespace drover::outputs
