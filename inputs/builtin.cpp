#include "inputs/builtin.h"

#include "inputs/events/events_input.h"
#include "inputs/file/file_input.h"
#include "inputs/host_metrics/host_metrics_input.h"
#include "inputs/journald/journald_input.h"
#include "inputs/stdin/stdin_input.h"

namespace drover::inputs {

void register_builtin_inputs(Registry& registry) {
  registry.add_input("file", [](config::TomlReader& reader) -> InputBuilder {
    return [config = parse_file_input_config(reader)](const ComponentContext& context) {
      return std::make_unique<FileInput>(config, context);
    };
  });
  registry.add_input("events", [](config::TomlReader& reader) -> InputBuilder {
    return [config = parse_events_input_config(reader)](const ComponentContext& context) {
      return std::make_unique<EventsInput>(config, context);
    };
  });
  registry.add_input("host_metrics", [](config::TomlReader& reader) -> InputBuilder {
    return [config = parse_host_metrics_config(reader)](const ComponentContext& context) {
      return std::make_unique<HostMetricsInput>(config, context);
    };
  });
  registry.add_input("journald", [](config::TomlReader& reader) -> InputBuilder {
    return [config = parse_journald_config(reader)](const ComponentContext& context) {
      return std::make_unique<JournaldInput>(config, context);
    };
  });
  registry.add_input("stdin", [](config::TomlReader& reader) -> InputBuilder {
    return [config = parse_stdin_config(reader)](const ComponentContext& context) {
      return std::make_unique<StdinInput>(config, context);
    };
  });
}

}  // namespace drover::inputs
