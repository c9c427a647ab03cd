// Internal: constructors of the MuJoCo tasks, for the registry.
#pragma once

#include <memory>

#include "env/mujoco/mujoco_env.h"

namespace ratchet {

std::unique_ptr<Env> MakeInvertedPendulum();
std::unique_ptr<Env> MakeInvertedDoublePendulum();

}  // namespace ratchet
