// Evaluation limits (an environment without a time limit, an early stop) and the initial model.
#include <fmt/format.h>

#include "point_mass.h"  // examples/custom_env
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

// PointMass without its time limit: an episode never ends by itself.
const std::string& EndlessId() {
  static const std::string id = [] {
    RegisterEnv("PointMassEndless-v0", [] { return std::make_unique<PointMass>(); },
                {.max_episode_steps = 0, .description = "test: no time limit"});
    return std::string("PointMassEndless-v0");
  }();
  return id;
}

Policy UntrainedPolicy(const std::string& env) {
  const EnvSpec spec = EnvSpecOf(env);
  Policy p(spec.observation_space, spec.action_space, NetConfig{});
  Rng rng(1);
  p.Init(rng);
  return p;
}

TEST(EvaluateTest, AnEpisodeWithoutATimeLimitIsCut) {
  ASSERT_EQ(EnvSpecOf(EndlessId()).max_episode_steps, 0);
  const Policy p = UntrainedPolicy(EndlessId());
  const EvalResult r = Evaluate(p, EndlessId(), 3, 7, true, nullptr, {.max_steps = 40});
  EXPECT_EQ(r.returns.size(), 3u);
  EXPECT_EQ(r.cut, 3);
  EXPECT_FALSE(r.interrupted);
  // the default cap, kDefaultEvalMaxSteps: counted by the steps the environment saw
  int steps = 0;
  const EvalResult d = Evaluate(p, EndlessId(), 1, 7, true, nullptr, {.stop = [&] { return ++steps < 0; }});
  EXPECT_EQ(d.cut, 1);
  EXPECT_EQ(steps, kDefaultEvalMaxSteps / 256);  // polled every 256 steps until the cap
  // an environment with a time limit ends there, and nothing is cut
  const EvalResult limited = Evaluate(UntrainedPolicy("CartPole-v1"), "CartPole-v1", 2, 7, true, nullptr,
                                      {.max_steps = 100000});
  EXPECT_EQ(limited.cut, 0);
  EXPECT_THROW(Evaluate(p, EndlessId(), 1, 7, true, nullptr, {.max_steps = -1}), Error);
}

TEST(EvaluateTest, StopEndsAnEvaluationEarly) {
  const Policy p = UntrainedPolicy(EndlessId());
  int polls = 0;
  const EvalResult r = Evaluate(p, EndlessId(), 5, 7, true, nullptr, {.stop = [&] { return ++polls == 3; }});
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(r.returns.empty());  // the episode under way when it stopped is not counted
}

// A stop asked for during a periodic evaluation (Python's Ctrl-C) abandons it and stops training
// with a checkpoint; resuming finishes the run.
TEST(EvaluateTest, TrainingStopsDuringAPeriodicEvaluation) {
  const auto dir = testing::FreshDir("eval_poll_stop");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = EndlessId();
  o.steps = 2048;
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "eval_every=256", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  TrainOptions opt;
  int polls = 0;
  opt.poll_stop = [&] { return ++polls == 5; };  // in the first evaluation (after update 2)
  const TrainResult res = Train(cfg, dir, opt);
  EXPECT_TRUE(res.stopped);
  EXPECT_EQ(res.updates, 2);
  EXPECT_FALSE(res.best_eval.has_value());  // the abandoned evaluation is not recorded
  const TrainResult rest = Resume(dir, {});
  EXPECT_FALSE(rest.stopped);
  EXPECT_EQ(rest.steps, 2048);
}

// An Env written from scratch (not an EnvBase) whose second step goes wrong as `fault` says.
class RawEnv final : public Env {
 public:
  explicit RawEnv(int fault) : fault_(fault) {
    spec_.id = "Raw-v0";
    spec_.observation_space = Space::Box({-1, -1}, {1, 1});
    spec_.action_space = Space::Discrete(2);
  }
  const EnvSpec& spec() const override { return spec_; }
  void Reset(uint64_t, std::span<float> obs) override { Reset(obs); }
  void Reset(std::span<float> obs) override {
    t_ = 0;
    std::fill(obs.begin(), obs.end(), 0.0f);
  }
  StepResult Step(std::span<const float>, std::span<float> obs) override {
    ++t_;
    std::fill(obs.begin(), obs.end(), 0.5f);
    StepResult r{1.0, false, false};
    if (t_ == 2 && fault_ == 0) obs[1] = NAN;
    if (t_ == 2 && fault_ == 1) r.reward = INFINITY;
    if (t_ == 2 && fault_ == 2) r.reward = 1e300;
    return r;
  }

 private:
  EnvSpec spec_;
  int fault_, t_ = 0;
};

// Its output is checked on the way in, as an EnvBase's is: the error names the environment, the
// step and the value, so nobody is told to lower a step size for a broken environment.
TEST(EnvCheckTest, AnyEnvironmentsOutputIsCheckedEveryStep) {
  const std::vector<std::string> expect = {"Raw-v0: step 2 of the episode produced a non-finite observation (element 1 is nan)",
                                           "Raw-v0: step 2 of the episode returned a non-finite reward (inf)",
                                           "Raw-v0: step 2 of the episode returned a reward of 1e+300 that does not fit"};
  for (int fault = 0; fault < 3; ++fault) {
    TimeLimit env(std::make_unique<RawEnv>(fault), 10);
    std::vector<float> obs(2);
    const std::vector<float> action = {1.0f};
    env.Reset(1, obs);
    env.Step(action, obs);
    const std::string err = testing::ErrorOf([&] { env.Step(action, obs); });
    EXPECT_NE(err.find(expect[fault]), std::string::npos) << err;
  }
}

// The initial model is the one training starts from: its value network gives the values the
// first rollout recorded.
TEST(InitialModelTest, IsWhereTrainingStarts) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.seed = 9;
  o.steps = 256;
  o.sets = {"eval_episodes=0"};
  RunConfig cfg = ResolveRunConfig(o);
  const TrainedModel m = InitialModel(ResolveRunConfig(o));
  EXPECT_EQ(m.steps, 0);
  EXPECT_NE(m.source.find("initial"), std::string::npos);
  Rollout first;
  TrainOptions opt;
  opt.on_rollout = [&](const Rollout& r) {
    if (first.T == 0) first = r;
  };
  Train(cfg, testing::FreshDir("initial_model"), opt);
  ASSERT_GT(first.size(), 0);
  MlpWorkspace<float> ws;
  const auto values = m.value->Forward(ConstMatMap<float>(first.obs.data(), first.obs_dim, first.size()), ws);
  for (int k = 0; k < first.size(); ++k) ASSERT_EQ(values(0, k), first.values[k]) << k;
  // saved as a run directory, it loads as a trained model does
  const auto saved = testing::FreshDir("initial_model_saved");
  TrainedModel copy = InitialModel(ResolveRunConfig(o));
  SaveTrainedModel(copy, saved);
  const TrainedModel back = LoadTrainedModel(saved);
  EXPECT_TRUE(std::equal(back.policy->params().begin(), back.policy->params().end(), m.policy->params().begin()));
}

}  // namespace
}  // namespace ratchet
