// The output types built into drover.
#pragma once

#include "agent/registry.h"

namespace drover::outputs {

void register_builtin_outputs(Registry& registry);

}  // namespace drover::outputs
