#include "inputs/common/multiline.h"

namespace drover::inputs {

MultilineJoiner::MultilineJoiner(const MultilineConfig& config, std::shared_ptr<const RE2> pattern)
    : config_(config), pattern_(std::move(pattern)), start_mode_(!config.start_pattern.empty()) {}

}  // namespace drover::inputs
