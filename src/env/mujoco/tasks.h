// Internal: constructors of the MuJoCo tasks (v4 and v5), for the registry. Each takes the
// keyword arguments of its Gymnasium counterpart and refuses any other.
#pragma once

#include <memory>

#include "env/mujoco/mujoco_env.h"

namespace ratchet {

std::unique_ptr<Env> MakeHalfCheetah(const EnvKwargs& kw);
std::unique_ptr<Env> MakeHopper(const EnvKwargs& kw);
std::unique_ptr<Env> MakeWalker2d(const EnvKwargs& kw);
std::unique_ptr<Env> MakeAnt(const EnvKwargs& kw);
std::unique_ptr<Env> MakeHumanoid(const EnvKwargs& kw);
std::unique_ptr<Env> MakeSwimmer(const EnvKwargs& kw);
std::unique_ptr<Env> MakeReacher(const EnvKwargs& kw);
std::unique_ptr<Env> MakeInvertedPendulum(const EnvKwargs& kw);
std::unique_ptr<Env> MakeInvertedDoublePendulum(const EnvKwargs& kw);

std::unique_ptr<Env> MakeHalfCheetahV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeHopperV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeWalker2dV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeAntV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeHumanoidV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeSwimmerV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeReacherV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeInvertedPendulumV5(const EnvKwargs& kw);
std::unique_ptr<Env> MakeInvertedDoublePendulumV5(const EnvKwargs& kw);

// The health tests (strict inequalities), on qpos and qvel after the step.
bool HopperHealthy(std::span<const double> qpos, std::span<const double> qvel);
bool Walker2dHealthy(std::span<const double> qpos);
bool AntHealthy(std::span<const double> qpos, std::span<const double> qvel);

}  // namespace ratchet
