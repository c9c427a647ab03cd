// Trains PPO on a user's environment through Ratchet's library: register, train with a stop
// halfway, resume, evaluate, export, and act with the exported policy.
//   usage: custom_env_train [RUN_DIR]
#include <ratchet/ratchet.h>

#include <iostream>

#include "point_mass.h"

int main(int argc, char** argv) try {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "runs/ppo-PointMass-v0";
  ratchet::RegisterEnv("PointMass-v0", [] { return std::make_unique<PointMass>(); },
                       {.max_episode_steps = 100, .reward_threshold = -15.0});

  ratchet::ResolveOptions opt;  // the same resolution as `ratchet train`: preset, --set, seed
  opt.algo = "ppo";
  opt.env = "PointMass-v0";
  opt.seed = 1;
  opt.steps = 80'000;
  opt.sets = {"n_envs=8", "n_steps=128", "batch_size=256", "n_epochs=10", "learning_rate=1e-3"};
  ratchet::RunConfig cfg = ratchet::ResolveRunConfig(opt);
  // an observer sees every update (its progress.csv row, the statistics, the networks); this one
  // stops halfway, with a checkpoint, as Ctrl-C or stop_at would
  struct StopHalfway final : ratchet::TrainObserver {
    void OnUpdate(ratchet::UpdateEvent& ev) override { ev.stop |= ev.steps >= 40'000; }
  } halfway;
  std::filesystem::create_directories(dir);
  ratchet::TrainResult res = ratchet::Train(cfg, dir, {.progress = &std::cerr, .observers = {&halfway}});
  std::cout << "stopped at " << res.steps << " steps; resuming\n";
  res = ratchet::Resume(dir, {.progress = &std::cerr});
  std::cout << "trained " << res.steps << " steps; evaluation " << res.eval->mean << "\n";

  const ratchet::TrainedModel m = ratchet::LoadTrainedModel(dir);
  const ratchet::EvalResult ev = ratchet::Evaluate(*m.policy, "PointMass-v0", 20, 7, true, &m.norm);
  std::cout << "20 fresh episodes: " << ev.mean << " +- " << ev.std << "\n";

  ratchet::ExportPolicy(m, dir / "policy.rpol");  // inference needs only ratchet::deploy
  const ratchet::DeployedPolicy deployed = ratchet::DeployedPolicy::Load(dir / "policy.rpol");
  const std::vector<float> action = deployed.Act(std::vector<float>{0.5f, 0.5f, 0, 0, -0.5f, -0.5f});
  std::cout << "action toward a target down-left: " << action[0] << ", " << action[1] << "\n";
  return ev.mean > -25.0 ? 0 : 1;
} catch (const ratchet::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}
