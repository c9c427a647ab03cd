// Internal: constructors of the MuJoCo tasks, for the registry.
#pragma once

#include <memory>

#include "env/mujoco/mujoco_env.h"

namespace ratchet {

std::unique_ptr<Env> MakeHalfCheetah();
std::unique_ptr<Env> MakeHopper();
std::unique_ptr<Env> MakeWalker2d();
std::unique_ptr<Env> MakeAnt();
std::unique_ptr<Env> MakeHumanoid();
std::unique_ptr<Env> MakeSwimmer();
std::unique_ptr<Env> MakeReacher();
std::unique_ptr<Env> MakeInvertedPendulum();
std::unique_ptr<Env> MakeInvertedDoublePendulum();


// The health tests (strict inequalities), on qpos and qvel after the step.
bool HopperHealthy(std::span<const double> qpos, std::span<const double> qvel);
bool Walker2dHealthy(std::span<const double> qpos);
bool AntHealthy(std::span<const double> qpos, std::span<const double> qvel);

}  // namespace ratchet
