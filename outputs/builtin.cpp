#include "outputs/builtin.h"

#include "outputs/kafka/kafka_output.h"
#include "outputs/kafka/kafka_probe.h"
#include "outputs/stdout/stdout_output.h"

namespace drover::outputs {

void register_builtin_outputs(Registry& registry) {
  registry.add_output("kafka", [](config::TomlReader& reader) -> OutputFactory {
    const auto config = parse_kafka_output_config(reader);
    return {[config](const ComponentContext& context) {
              return std::make_unique<KafkaOutput>(config, context);
            },
            [config](const std::string& name, const std::string& host,
                     std::chrono::milliseconds timeout) {
              return probe_kafka(config, name, host, timeout);
            }};
  });
  registry.add_output("stdout", [](config::TomlReader& reader) -> OutputFactory {
    return {[config = parse_stdout_output_config(reader)](const ComponentContext& context) {
              return std::make_unique<StdoutOutput>(config, context);
            },
            nullptr};
  });
}

}  // namespace drover::outputs
