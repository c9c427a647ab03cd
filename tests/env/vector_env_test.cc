#include <cstring>

#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(VectorEnvTest, CopyIIsSeededWithSeedPlusI) {
  VectorEnv venv("CartPole-v1", 4);
  std::vector<float> obs(16), single(4);
  venv.Reset(100, obs);
  for (int i = 0; i < 4; ++i) {
    auto env = MakeEnv("CartPole-v1");
    env->Reset(100 + i, single);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(obs[i * 4 + k], single[k]) << "copy " << i;
  }
}

TEST(VectorEnvTest, AutoresetReturnsFinalObservationAndNewEpisode) {
  // step copy 0 with a constant action (it falls over quickly) beside a reference env
  VectorEnv venv("CartPole-v1", 2);
  std::vector<float> obs(8), rew(2), ref_obs(4);
  std::vector<uint8_t> term(2), trunc(2);
  auto ref = MakeEnv("CartPole-v1");
  venv.Reset(7, obs);
  ref->Reset(7, ref_obs);
  const std::vector<float> actions = {1.0f, 0.0f};
  int steps = 0;
  for (;;) {
    venv.Step(actions, obs, rew, term, trunc);
    const float a = 1.0f;
    const StepResult r = ref->Step({&a, 1}, ref_obs);
    ++steps;
    ASSERT_EQ(term[0], r.terminated);
    if (term[0]) {
      // final_obs is the terminal observation; obs holds the first of the next episode, which
      // continues the copy's random stream exactly as a manual reset would
      for (int k = 0; k < 4; ++k) EXPECT_EQ(venv.final_obs(0)[k], ref_obs[k]);
      ref->Reset(ref_obs);
      for (int k = 0; k < 4; ++k) EXPECT_EQ(obs[k], ref_obs[k]);
      break;
    }
    for (int k = 0; k < 4; ++k) ASSERT_EQ(obs[k], ref_obs[k]);
    ASSERT_LT(steps, 500);
  }
  const auto stats = venv.TakeEpisodeStats();
  ASSERT_GE(stats.size(), 1u);
  EXPECT_EQ(stats[0].env, 0);
  EXPECT_EQ(stats[0].length, steps);
  EXPECT_EQ(stats[0].ret, steps);  // +1 per step including the last
  EXPECT_TRUE(venv.TakeEpisodeStats().empty());
}

TEST(VectorEnvTest, TruncationIsFlaggedSeparately) {
  VectorEnv venv("CartPole-v0", 1);
  std::vector<float> obs(4), rew(1);
  std::vector<uint8_t> term(1), trunc(1);
  venv.Reset(5, obs);
  for (int t = 1; t <= 200; ++t) {
    const float a = (obs[2] + 0.5f * obs[3] + 0.01f * obs[0] + 0.1f * obs[1]) > 0 ? 1.0f : 0.0f;
    venv.Step({&a, 1}, obs, rew, term, trunc);
    ASSERT_FALSE(term[0]) << "the controller should balance; step " << t;
    EXPECT_EQ(trunc[0], t == 200);
  }
  const auto stats = venv.TakeEpisodeStats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].length, 200);
}

// Steps `threads`-way and returns every output of 600 steps with pseudo-random actions.
std::vector<float> Trace(int threads) {
  ThreadPool pool(threads);
  const int n = 7;
  VectorEnv venv("CartPole-v1", n, &pool);
  std::vector<float> obs(n * 4), rew(n), acts(n), out;
  std::vector<uint8_t> term(n), trunc(n);
  venv.set_threading(VectorEnv::Threading::kAlways);
  venv.Reset(11, obs);
  Rng rng(3);
  for (int t = 0; t < 600; ++t) {
    for (float& a : acts) a = static_cast<float>(rng.Below(2));
    venv.Step(acts, obs, rew, term, trunc);
    out.insert(out.end(), obs.begin(), obs.end());
    out.insert(out.end(), rew.begin(), rew.end());
    for (int i = 0; i < n; ++i) {
      out.push_back(term[i]);
      out.push_back(trunc[i]);
      if (term[i] || trunc[i]) out.insert(out.end(), venv.final_obs(i).begin(), venv.final_obs(i).end());
    }
    for (const auto& e : venv.TakeEpisodeStats()) {
      out.push_back(e.env);
      out.push_back(e.ret);
      out.push_back(e.length);
    }
  }
  return out;
}

TEST(VectorEnvTest, ThreadedIsBitwiseIdenticalToSerial) {
  const std::vector<float> serial = Trace(1);
  for (int threads : {2, 3}) {
    const std::vector<float> threaded = Trace(threads);
    ASSERT_EQ(serial.size(), threaded.size());
    EXPECT_EQ(0, std::memcmp(serial.data(), threaded.data(), serial.size() * sizeof(float)));
  }
}

TEST(VectorEnvTest, BadActionOnAWorkerIsReportedAsError) {
  ThreadPool pool(2);
  VectorEnv venv("CartPole-v1", 4, &pool);
  venv.set_threading(VectorEnv::Threading::kAlways);
  std::vector<float> obs(16), rew(4), acts = {0, 1, 0, 7};
  std::vector<uint8_t> term(4), trunc(4);
  venv.Reset(0, obs);
  EXPECT_THROW(venv.Step(acts, obs, rew, term, trunc), Error);
}

}  // namespace
}  // namespace ratchet
