#include "outputs/builtin.h"

#include "outputs/kafka/kafka_output.h"
#include "outputs/stdout/stdout_output.h"

namespace drover::outputs {

void register_builtin_outputs(Registry& registry) {
  registry.add_output("kafka", [](config::TomlReader& reader) -> OutputBuilder {
    return [config = parse_kafka_output_config(reader)](const ComponentContext& context) {
      return std::make_unique<KafkaOutput>(config, context);
    };
  });
  registry.add_output("stdout", [](config::TomlReader& reader) -> OutputBuilder {
    return [config = parse_stdout_output_config(reader)](const ComponentContext& context) {
      return std::make_unique<StdoutOutput>(config, context);
    };
  });
}

}  // namespace drover::outputs
