// Kafka's rule for topic names, checked before a name reaches librdkafka: a fixed name at
// config time, a name rendered from a record's own fields before that record is produced.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drover::outputs {

/// Why Kafka would refuse `name` as a topic name, or nothing if it is valid.
std::optional<std::string> invalid_topic_name(std::string_view name);

}  // namespace drover::outputs
