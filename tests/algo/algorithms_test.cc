// Checks shared by every algorithm, and the small rules of each.
#include <cmath>
#include <fmt/format.h>

#include "algo/ppo.h"
#include "algo/ppo_kl.h"
#include "algo/vpg.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(PpoKlTest, BetaMovesInTheStatedDirection) {
  EXPECT_DOUBLE_EQ(AdaptKlCoef(1.0, 0.02, 0.01), 2.0);    // KL > 1.5 target: doubles
  EXPECT_DOUBLE_EQ(AdaptKlCoef(1.0, 0.005, 0.01), 0.5);   // KL < target / 1.5: halves
  EXPECT_DOUBLE_EQ(AdaptKlCoef(1.0, 0.01, 0.01), 1.0);    // in between: unchanged
  EXPECT_DOUBLE_EQ(AdaptKlCoef(1.0, 0.0149, 0.01), 1.0);
  EXPECT_DOUBLE_EQ(AdaptKlCoef(1.0, 0.0067, 0.01), 1.0);
}

TEST(RmsPropTest, MatchesHandComputedSteps) {
  RmsProp opt(1, 0.99, 1e-5);
  std::vector<float> p = {1.0f}, g = {0.5f};
  opt.Step(p, g, 0.01);
  // v = 0.01 * 0.25 = 0.0025, step = 0.01 * 0.5 / (0.05 + 1e-5)
  EXPECT_NEAR(p[0], 1.0 - 0.01 * 0.5 / (0.05 + 1e-5), 1e-6);
  g[0] = -1.0f;
  opt.Step(p, g, 0.01);
  const double v = 0.99 * 0.0025 + 0.01 * 1.0;
  EXPECT_NEAR(p[0], 1.0 - 0.01 * 0.5 / (0.05 + 1e-5) + 0.01 / (std::sqrt(v) + 1e-5), 1e-5);
}

// One env, T = 4, gamma 0.5: rewards 1, 2, 3, 4; the episode terminates at t = 1 and the batch
// ends mid-episode with V(last) = 8; values V(s_t) = 0.5 each.
Rollout VpgRollout() {
  Rollout r;
  r.Resize(4, 1, 1, 1);
  r.rewards = {1, 2, 3, 4};
  r.values = {0.5, 0.5, 0.5, 0.5};
  r.terminated = {0, 1, 0, 0};
  r.last_values = {8};
  return r;
}

TEST(VpgWeightsTest, RewardsToGoTotalAndBaseline) {
  const Rollout r = VpgRollout();
  VpgConfig cfg;
  std::vector<float> psi;
  cfg.baseline = false;
  VpgWeights(r, 0.5, cfg, &psi);
  // rewards-to-go: t1 = 2; t0 = 1 + 0.5*2 = 2; t3 = 4 + 0.5*8 = 8; t2 = 3 + 0.5*8 = 7
  EXPECT_EQ(psi, (std::vector<float>{2, 2, 7, 8}));
  cfg.return_type = "total";
  VpgWeights(r, 0.5, cfg, &psi);
  EXPECT_EQ(psi, (std::vector<float>{2, 2, 7, 7}));
  cfg.baseline = true;
  VpgWeights(r, 0.5, cfg, &psi);
  EXPECT_EQ(psi, (std::vector<float>{1.5, 1.5, 6.5, 6.5}));
  cfg.return_type = "reward_to_go";
  VpgWeights(r, 0.5, cfg, &psi);
  EXPECT_EQ(psi, (std::vector<float>{1.5, 1.5, 6.5, 7.5}));
}

TEST(AlgorithmConfigTest, NameSetsTheVariant) {
  auto ppo = FindAlgorithm("ppo").make_config();
  auto kl = FindAlgorithm("ppo-kl").make_config();
  EXPECT_FALSE(static_cast<PpoConfig&>(*ppo).kl_penalty);
  EXPECT_TRUE(static_cast<PpoConfig&>(*kl).kl_penalty);
}

// "algo_env" with anything but letters and digits as '_', for test names.
std::string AlgoEnvName(const ::testing::TestParamInfo<std::tuple<std::string, std::string>>& info) {
  std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

// grad_chunks (PPO's minibatch gradients; NPG/TRPO's gradient, Fisher products and line search):
// C parts give the same bits for any thread count, and after one update nearly (float rounding)
// the parameters of one part. (Over many updates the rounding may flip a discrete choice, a TRPO
// backtrack say, and the runs part ways: only the bits for a given C are a contract.)
class GradChunksTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(GradChunksTest, SameBitsForAnyThreadCountAndCloseToOnePart) {
  const auto& [algo, env] = GetParam();
  auto train = [&](int chunks, int threads, int steps) {
    const auto dir = testing::FreshDir(fmt::format("chunks_{}_{}_{}_{}_{}", algo, env, chunks, threads, steps));
    ResolveOptions o;
    o.algo = algo;
    o.env = env;
    o.seed = 4;
    o.sets = {"n_envs=2", "n_steps=64", fmt::format("n_timesteps={}", steps), "eval_episodes=0",
              fmt::format("grad_chunks={}", chunks),
              fmt::format("threads={}", threads)};
    if (algo.starts_with("ppo")) o.sets.insert(o.sets.end(), {"batch_size=32", "n_epochs=3"});
    RunConfig cfg = ResolveRunConfig(o);
    Train(cfg, dir, {});
    return std::pair{testing::ReadFile(dir / "model.bin"), LoadTrainedModel(dir)};
  };
  EXPECT_EQ(train(3, 1, 512).first, train(3, 2, 512).first);
  const auto [parts, m1] = train(3, 2, 128);
  const auto [whole, m0] = train(1, 2, 128);
  // after one update the parameters agree up to the rounding of the sums, which conjugate
  // gradient (NPG, TRPO) amplifies somewhat: relative distance below 1e-3
  const auto a = m1.policy->params(), b = m0.policy->params();
  ASSERT_EQ(a.size(), b.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    norm += static_cast<double>(b[i]) * b[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Variants, GradChunksTest,
                         ::testing::Combine(::testing::Values("ppo", "ppo-kl", "trpo", "npg"),
                                            ::testing::Values("CartPole-v1", "Pendulum-v1")),
                         AlgoEnvName);

// Smoke: every algorithm runs two updates on every environment kind without error or NaN.
class SmokeTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(SmokeTest, TwoUpdatesWithoutErrorOrNan) {
  const auto& [algo, env] = GetParam();
  const auto dir = testing::FreshDir("smoke_" + algo + "_" + env);
  ResolveOptions o;
  o.algo = algo;
  o.env = env;
  o.seed = 3;
  o.sets = {"n_envs=2", "n_steps=64", "n_timesteps=256", "eval_episodes=1"};
  if (algo == "ppo" || algo == "ppo-kl") o.sets.push_back("batch_size=32");
  RunConfig cfg = ResolveRunConfig(o);
  const TrainResult res = Train(cfg, dir, {});
  EXPECT_EQ(res.updates, 2);
  ASSERT_TRUE(res.eval.has_value());
  EXPECT_TRUE(std::isfinite(res.eval->mean));
  const TrainedModel m = LoadTrainedModel(dir);
  for (float p : m.policy->params()) ASSERT_TRUE(std::isfinite(p));
  for (float p : m.value->params()) ASSERT_TRUE(std::isfinite(p));
}

std::vector<std::string> AlgoNames() {
  std::vector<std::string> names;
  for (const AlgoEntry& e : Algorithms()) names.push_back(e.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, SmokeTest,
                         ::testing::Combine(::testing::ValuesIn(AlgoNames()),
                                            ::testing::Values("CartPole-v1", "Pendulum-v1")),
                         AlgoEnvName);

std::vector<std::string> MujocoTasks() {
  std::vector<std::string> ids;
  for (const std::string& id : ListEnvs())
    if (id.ends_with("-v4")) ids.push_back(id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(MujocoTasks, SmokeTest,
                         ::testing::Combine(::testing::Values("ppo", "trpo"),
                                            ::testing::ValuesIn(MujocoTasks())),
                         AlgoEnvName);

}  // namespace
}  // namespace ratchet
