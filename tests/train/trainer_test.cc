#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

RunConfig Config(int64_t seed, std::vector<std::string> sets = {}) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.seed = seed;
  o.sets = std::move(sets);
  return ResolveRunConfig(o);
}


// Learning targets of issues 2 and 3: each algorithm, with its preset, reaches the target mean
// deterministic evaluation return within its step budget, for each of seeds 1, 2 and 3.
//   CartPole-v1 >= 475: ppo, ppo-kl, trpo in 100k; npg, acktr in 200k; a2c, vpg in 500k.
//   Pendulum-v1 >= -250: ppo and trpo in 200k.  InvertedPendulum-v4 >= 950: ppo in 100k.
// Margins (the same on every machine of the portable build: GoldenBitsTest): every CartPole and
// InvertedPendulum case reaches the maximum, 500 or 1000 in every episode (5.3% above the target,
// as far above as it can be); Pendulum ppo -145.7 / -145.2 / -147.3 (41-42% above) and trpo
// -184.0 / -174.9 / -166.3 (26-34% above). Each run prints its margin.
// Under a slightly different rounding (the sums of a CPU with a 32 KiB L1, before Ratchet fixed
// Eigen's blocking) 29 of the 30 still pass, none closer to its target than 24%; npg CartPole
// seed 3 ends at 96.45 there (its best periodic evaluation is 500: the final policy of that run
// is sensitive, not the algorithm's reach).
struct LearningCase {
  const char* algo;
  const char* env;
  int64_t steps;
  double target;
  int seed;
};

class LearningTest : public ::testing::TestWithParam<LearningCase> {};

TEST_P(LearningTest, ReachesTheTarget) {
  const LearningCase c = GetParam();
  const auto dir = testing::FreshDir(fmt::format("learn_{}_{}_{}", c.algo, c.env, c.seed));
  ResolveOptions o;
  o.algo = c.algo;
  o.env = c.env;
  o.seed = c.seed;
  o.steps = c.steps;
  o.sets = {"eval_episodes=20"};
  RunConfig cfg = ResolveRunConfig(o);
  const TrainResult res = Train(cfg, dir, {});
  EXPECT_LE(res.steps, c.steps);
  ASSERT_TRUE(res.eval.has_value());
  EXPECT_GE(res.eval->mean, c.target) << c.algo << " on " << c.env << ", seed " << c.seed;
  // the margin, for the log (the bits are the same on every machine: see GoldenBitsTest)
  std::cout << fmt::format("{} on {}, seed {}: {:.2f} against the target {} (margin {:.1f}% of the target)\n",
                           c.algo, c.env, c.seed, res.eval->mean, c.target,
                           100.0 * (res.eval->mean - c.target) / std::abs(c.target));
  // the saved model evaluates to the same numbers
  const TrainedModel m = LoadTrainedModel(dir);
  EXPECT_EQ(Evaluate(*m.policy, c.env, 20, kEvalSeedBase, true, &m.norm).returns, res.eval->returns);
}

std::vector<LearningCase> LearningCases() {
  std::vector<LearningCase> cases;
  const std::vector<std::tuple<const char*, const char*, int64_t, double>> targets = {
      {"ppo", "CartPole-v1", 100000, 475.0},   {"ppo-kl", "CartPole-v1", 100000, 475.0},
      {"trpo", "CartPole-v1", 100000, 475.0},  {"npg", "CartPole-v1", 200000, 475.0},
      {"acktr", "CartPole-v1", 200000, 475.0}, {"a2c", "CartPole-v1", 500000, 475.0},
      {"vpg", "CartPole-v1", 500000, 475.0},   {"ppo", "Pendulum-v1", 200000, -250.0},
      {"trpo", "Pendulum-v1", 200000, -250.0}, {"ppo", "InvertedPendulum-v4", 100000, 950.0}};
  for (const auto& [algo, env, steps, target] : targets)
    for (int seed : {1, 2, 3}) cases.push_back({algo, env, steps, target, seed});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Targets, LearningTest, ::testing::ValuesIn(LearningCases()),
                         [](const auto& info) {
                           std::string n = fmt::format("{}_{}_seed{}", info.param.algo, info.param.env,
                                                       info.param.seed);
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(TrainerTest, SameSeedSameProgressWhateverTheThreadCount) {
  std::vector<std::vector<std::string>> runs;
  for (int threads : {1, 2, 2}) {
    const auto dir = testing::FreshDir("determinism_" + std::to_string(runs.size()));
    RunConfig cfg = Config(4, {"n_timesteps=20480", "threads=" + std::to_string(threads), "eval_episodes=0"});
    Train(cfg, dir, {});
    runs.push_back(testing::CsvWithoutWallTime(dir / "progress.csv"));
  }
  ASSERT_EQ(runs[0].size(), 81u);  // header + 80 updates of 256 steps
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[1], runs[2]);
  // and another seed differs
  const auto dir = testing::FreshDir("determinism_other");
  RunConfig other = Config(5, {"n_timesteps=20480", "eval_episodes=0"});
  Train(other, dir, {});
  EXPECT_NE(testing::CsvWithoutWallTime(dir / "progress.csv"), runs[0]);
}

// A library user's observer sees what the trainer logs: every rollout before its update, every
// progress.csv row (the periodic evaluation's columns included), every checkpoint, and the end;
// its stop request ends the run with a checkpoint that a resume continues from.
class Recorder final : public TrainObserver {
 public:
  void OnRollout(const Rollout& r) override { rollouts.push_back(r.size()); }
  void OnUpdate(UpdateEvent& ev) override {
    rows.emplace_back(ev.row.begin(), ev.row.end());
    EXPECT_EQ(ev.steps, static_cast<int64_t>(ev.row[ProgressColumn("steps")]));
    EXPECT_TRUE(ev.lead);
    ASSERT_NE(ev.stats, nullptr);
    EXPECT_EQ(ev.stats->policy_loss, ev.row[ProgressColumn("policy_loss")]);
    if (ev.update == stop_at) ev.stop = true;
  }
  void OnCheckpoint(const UpdateEvent& ev) override { checkpoints.push_back(ev.update); }
  void OnEnd(const TrainResult& res) override { ends.push_back(res.stopped); }

  int stop_at = 0;
  std::vector<int> rollouts, checkpoints;
  std::vector<std::vector<double>> rows;
  std::vector<bool> ends;
};

TEST(TrainerTest, ObserversSeeWhatTheTrainerLogsAndMayStopIt) {
  const auto dir = testing::FreshDir("observers");
  RunConfig cfg = Config(1, {"n_timesteps=2560", "eval_episodes=2", "eval_every=1024", "checkpoint_every=4",
                             "checkpoint_minutes=0"});
  Recorder rec;
  rec.stop_at = 6;
  TrainOptions opt;
  opt.observers = {&rec};
  const TrainResult stopped = Train(cfg, dir, opt);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.updates, 6);
  EXPECT_EQ(rec.rollouts, std::vector<int>(6, 256));
  EXPECT_EQ(rec.checkpoints, (std::vector<int>{4, 6}));  // every 4 updates, and the stop's
  EXPECT_EQ(rec.ends, std::vector<bool>{true});
  Recorder rest;
  opt.observers = {&rest};
  const TrainResult done = Resume(dir, opt);
  EXPECT_FALSE(done.stopped);
  EXPECT_EQ(rest.rows.size(), 4u);
  EXPECT_EQ(rest.checkpoints, (std::vector<int>{8, 10}));
  EXPECT_EQ(rest.ends, std::vector<bool>{false});
  // the rows are progress.csv's, value for value (wall time aside), evaluations included
  std::vector<std::vector<double>> rows = rec.rows;
  rows.insert(rows.end(), rest.rows.begin(), rest.rows.end());
  std::ifstream in(dir / "progress.csv");
  std::string line;
  std::getline(in, line);
  const size_t wall = ProgressColumn("wall_time"), eval = ProgressColumn("eval_return_mean");
  int evaluated = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    ASSERT_TRUE(std::getline(in, line)) << "progress.csv has " << k << " rows";
    std::stringstream ss(line);
    std::string cell;
    for (size_t c = 0; c < rows[k].size(); ++c) {
      std::getline(ss, cell, ',');
      if (c == wall) continue;
      if (std::isnan(rows[k][c])) {
        EXPECT_EQ(cell, "") << ProgressColumns()[c] << " of row " << k;
      } else {
        EXPECT_NEAR(std::stod(cell), rows[k][c], 1e-7 * (1 + std::abs(rows[k][c]))) << ProgressColumns()[c];
      }
    }
    evaluated += !std::isnan(rows[k][eval]);
  }
  EXPECT_FALSE(std::getline(in, line));
  EXPECT_EQ(evaluated, 3);  // updates 4, 8 (every 1024 steps) and 10 (the last)
}

TEST(TrainerTest, RunDirectoryHoldsConfigProgressAndModel) {
  const auto dir = testing::FreshDir("rundir");
  RunConfig cfg = Config(1, {"n_timesteps=2560", "eval_episodes=2"});
  const TrainResult res = Train(cfg, dir, {});
  EXPECT_EQ(res.steps, 2560);
  EXPECT_EQ(res.updates, 10);
  // the time breakdown covers disjoint parts of the run
  EXPECT_GE(res.env_seconds, 0.0);
  EXPECT_GE(res.collect_seconds, 0.0);
  EXPECT_GT(res.update_seconds, 0.0);
  EXPECT_LE(res.env_seconds + res.collect_seconds + res.update_seconds, res.wall_seconds);
  EXPECT_TRUE(std::filesystem::exists(dir / "model.bin"));
  EXPECT_EQ(LoadRunConfig(dir).ToYaml(), cfg.ToYaml());
  std::ifstream in(dir / "progress.csv");
  std::string header;
  std::getline(in, header);
  std::string expect;
  for (const auto& c : ProgressColumns()) expect += (expect.empty() ? "" : ",") + c;
  EXPECT_EQ(header, expect);
  for (const char* col : {"steps", "wall_time", "ep_return_mean", "ep_return_std", "policy_loss",
                          "value_loss", "entropy", "approx_kl", "clip_fraction",
                          "explained_variance", "learning_rate"})
    EXPECT_NE(header.find(col), std::string::npos) << col;
  int rows = 0;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, 10);
}

TEST(TrainerTest, NormalisersAreSavedWithTheModelAndFrozenAtEvaluation) {
  const auto dir = testing::FreshDir("normalize");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Pendulum-v1";
  o.seed = 2;
  o.sets = {"n_timesteps=8192", "normalize_obs=true", "normalize_reward=true", "eval_episodes=3"};
  RunConfig cfg = ResolveRunConfig(o);
  const TrainResult res = Train(cfg, dir, {});
  const TrainedModel m = LoadTrainedModel(dir);
  EXPECT_TRUE(m.norm.enabled);
  // statistics of 8192 steps of 4 copies plus their resets
  EXPECT_NEAR(m.norm.rms.count, 8192 + 4, 1e-3);
  EXPECT_GT(m.norm.rms.var[2], 1.0);  // angular velocity spreads well beyond the unit prior
  // evaluation through the saved, frozen normaliser reproduces the trainer's evaluation
  EXPECT_EQ(Evaluate(*m.policy, "Pendulum-v1", 3, kEvalSeedBase, true, &m.norm).returns, res.eval->returns);
  // and without it the policy sees different inputs
  EXPECT_NE(Evaluate(*m.policy, "Pendulum-v1", 3, kEvalSeedBase, true, nullptr).returns, res.eval->returns);
}

TEST(TrainerTest, TargetKlStopsEpochsEarly) {
  const auto dir = testing::FreshDir("target_kl");
  RunConfig cfg = Config(1, {"n_timesteps=2560", "eval_episodes=0", "target_kl=0.00001"});
  Train(cfg, dir, {});
  std::ifstream in(dir / "progress.csv");
  std::string line;
  std::getline(in, line);
  int early = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (int c = 0; c <= 14; ++c) std::getline(ss, cell, ',');  // column 14: epochs
    early += std::stoi(cell) < 20;
  }
  EXPECT_GT(early, 0);
}

TEST(ModelFileTest, RoundTripAndRejections) {
  const auto dir = testing::FreshDir("model");
  const EnvSpec spec = EnvSpecOf("CartPole-v1");
  NetConfig net;
  Policy pi(spec.observation_space, spec.action_space, net), pi2(spec.observation_space, spec.action_space, net);
  ValueFunction vf(4, net), vf2(4, net);
  Rng rng(1);
  pi.Init(rng);
  vf.Init(rng);
  ObsNormalizer norm(4, true, 5.0), norm2;
  const std::vector<float> batch = {1, 2, 3, 4, -1, 0, 2, 8};
  norm.rms.Update(batch, 2);
  SaveModel(dir / "m.bin", pi, vf, norm);
  LoadModel(dir / "m.bin", pi2, vf2, &norm2);
  EXPECT_TRUE(norm2.enabled);
  EXPECT_EQ(norm2.clip, 5.0);
  EXPECT_EQ(norm2.rms.mean, norm.rms.mean);
  EXPECT_EQ(norm2.rms.var, norm.rms.var);
  EXPECT_EQ(norm2.rms.count, norm.rms.count);
  EXPECT_TRUE(std::equal(pi.params().begin(), pi.params().end(), pi2.params().begin()));
  EXPECT_TRUE(std::equal(vf.params().begin(), vf.params().end(), vf2.params().begin()));

  std::ifstream in(dir / "m.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto write = [&](const std::string& name, const std::string& b) {
    std::ofstream(dir / name, std::ios::binary) << b;
    return dir / name;
  };
  auto error_of = [&](const std::filesystem::path& p) {
    try {
      LoadModel(p, pi2, vf2, nullptr);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string flipped = bytes;
  flipped[100] ^= 1;
  EXPECT_NE(error_of(write("flip.bin", flipped)).find("checksum"), std::string::npos);
  EXPECT_NE(error_of(write("short.bin", bytes.substr(0, bytes.size() / 2))).find("checksum"), std::string::npos);
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(error_of(write("magic.bin", magic)).find("wrong magic"), std::string::npos);
  std::string newer = bytes;
  newer[8] = 99;
  EXPECT_NE(error_of(write("newer.bin", newer)).find("newer"), std::string::npos);
  EXPECT_NE(error_of(dir / "absent.bin").find("cannot read"), std::string::npos);
  // a model of another architecture is refused, naming the mismatch
  NetConfig small;
  small.hidden = {8};
  Policy other(spec.observation_space, spec.action_space, small);
  ValueFunction other_v(4, small);
  try {
    LoadModel(dir / "m.bin", other, other_v, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("policy parameter values"), std::string::npos);
  }
}

}  // namespace
}  // namespace ratchet
