// The input types built into drover.
#pragma once

#include "agent/registry.h"

namespace drover::inputs {

void register_builtin_inputs(Registry& registry);

}  // namespace drover::inputs
