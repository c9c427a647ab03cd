// The base of the MuJoCo tasks (Gymnasium's MujocoEnv, v4 and v5): reset with the task's noise,
// frame skipping through MujocoSim, saved state = simulator state (+ EnvBase's generator). A task
// overrides three hooks; each task (both versions) lives in its own short file
// (src/env/mujoco/<task>.cc).
#pragma once

#include <fmt/format.h>

#include "env/kwargs.h"
#include "env/mujoco/mujoco_sim.h"
#include "draw/mujoco_render.h"

namespace ratchet {

// The model a task runs: the embedded model `name`, or the MJCF file `path` when it is set.
struct MujocoModelChoice {
  std::string name, path;
  int frame_skip = 1;
};
// The v5 keyword arguments every task shares (Gymnasium's): xml_file (a bare file name is a
// built-in model, as Gymnasium's bare names are its own assets; anything else is a path) and
// frame_skip.
MujocoModelChoice ReadModelChoice(KwargsReader& kw, const std::string& default_xml, int default_frame_skip);

class MujocoEnv : public EnvBase {
 public:
  MujocoEnv(const std::string& id, const std::string& model, int frame_skip, int obs_dim,
            int max_episode_steps, std::optional<double> reward_threshold, const std::string& path = "");
  MujocoEnv(const std::string& id, const MujocoModelChoice& model, int max_episode_steps,
            std::optional<double> reward_threshold);

  const StepInfo& info() const override { return info_; }
  void Render(int width, int height, std::vector<uint8_t>* rgb) override;

  const MujocoSim& sim() const { return sim_; }
  MujocoEnv(const MujocoEnv&) = delete;
  MujocoEnv& operator=(const MujocoEnv&) = delete;
  ~MujocoEnv() override;

 protected:
  void OnReset(std::span<float> obs) override;
  StepResult OnStep(std::span<const float> action, std::span<float> obs) override;
  // the simulator state (the generator and counters are EnvBase's)
  void Serialize(StateArchive& ar) override;

  // Draws the reset noise from rng() and calls sim_.ResetTo.
  virtual void ResetModel() = 0;
  // Simulates one step (sim_.DoSimulation and the task's measurements around it), fills info_.
  virtual StepResult StepModel(std::span<const float> action) = 0;
  // The observation of the current state.
  virtual void WriteObs(std::span<float> obs) const = 0;
  // Fills info_ after a reset (Gymnasium v5's reset info); info_ is cleared before.
  virtual void ResetInfo() {}

  // For a task whose observation size follows from its model (v5): sets the Box(-inf, inf, n).
  void SetObservationDim(int n);
  // base[i] + U(-scale, scale), in index order
  std::vector<double> UniformAround(std::span<const double> base, double scale);
  // base[i] + scale * N(0, 1), in index order
  std::vector<double> NormalAround(std::span<const double> base, double scale);
  std::vector<double> Zeros(int n) const { return std::vector<double>(n, 0.0); }
  // weight * sum(action^2), on the action as given (unclipped)
  static double ControlCost(std::span<const float> action, double weight);
  // obs = qpos[skip:] then qvel, each velocity clipped to +-vel_clip when vel_clip > 0
  void WritePositionsVelocities(std::span<float> obs, int skip, double vel_clip) const;

  MujocoSim sim_;
  StepInfo info_;
  CameraConfig camera_;  // the task's view for rendered frames

 private:
  std::unique_ptr<MujocoRenderer> renderer_;  // made on first Render
};

}  // namespace ratchet
