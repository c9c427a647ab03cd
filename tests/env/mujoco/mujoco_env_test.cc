// MuJoCo tasks against docs/ENVIRONMENTS.md and Gymnasium's v4 models: compiled sizes and masses,
// reward terms, terminations, determinism, save/restore and load errors.
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "env/mujoco/mujoco_env.h"
#include "ratchet/env.h"
#include "test_util.h"

namespace ratchet {
namespace {

struct ModelCheck {
  const char* id;
  const char* model;
  int nq, nv, nu, nbody, njnt, ngeom, obs_dim, frame_skip, max_steps;
  double timestep, total_mass;
  float action_low, action_high;
};

class MujocoModelTest : public ::testing::TestWithParam<ModelCheck> {};

TEST_P(MujocoModelTest, CompiledModelMatchesTheSheet) {
  const ModelCheck c = GetParam();
  auto env = MakeEnv(c.id);
  auto& task = dynamic_cast<MujocoEnv&>(dynamic_cast<TimeLimit&>(*env).inner());
  const mjModel* m = task.sim().model();
  EXPECT_EQ(m->nq, c.nq);
  EXPECT_EQ(m->nv, c.nv);
  EXPECT_EQ(m->nu, c.nu);
  EXPECT_EQ(m->nbody, c.nbody);
  EXPECT_EQ(m->njnt, c.njnt);
  EXPECT_EQ(m->ngeom, c.ngeom);
  EXPECT_EQ(m->na, 0);
  EXPECT_DOUBLE_EQ(m->opt.timestep, c.timestep);
  EXPECT_EQ(task.sim().frame_skip(), c.frame_skip);
  EXPECT_NEAR(mj_getTotalmass(m), c.total_mass, 1e-9 * c.total_mass);
  const EnvSpec& spec = env->spec();
  EXPECT_EQ(spec.observation_space.flat_dim(), c.obs_dim);
  EXPECT_EQ(spec.max_episode_steps, c.max_steps);
  ASSERT_EQ(spec.action_space.flat_dim(), c.nu);
  for (int i = 0; i < c.nu; ++i) {
    EXPECT_EQ(spec.action_space.low[i], c.action_low);
    EXPECT_EQ(spec.action_space.high[i], c.action_high);
  }
  std::vector<float> obs(c.obs_dim);
  env->Reset(1, obs);
  for (float v : obs) EXPECT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(
    Models, MujocoModelTest,
    ::testing::Values(
        ModelCheck{"HalfCheetah-v4", "half_cheetah", 9, 9, 6, 8, 9, 9, 17, 5, 1000, 0.01,
                   14.000000000000002, -1.0f, 1.0f},
        ModelCheck{"Hopper-v4", "hopper", 6, 6, 3, 5, 6, 5, 11, 4, 1000, 0.002, 15.820013405927003,
                   -1.0f, 1.0f},
        ModelCheck{"Walker2d-v4", "walker2d", 9, 9, 6, 8, 9, 8, 17, 4, 1000, 0.002, 23.677136632555076,
                   -1.0f, 1.0f},
        ModelCheck{"Ant-v4", "ant", 15, 14, 8, 14, 9, 14, 27, 5, 1000, 0.01, 0.91088008270739151,
                   -1.0f, 1.0f},
        ModelCheck{"Humanoid-v4", "humanoid", 24, 23, 17, 14, 18, 18, 376, 5, 1000, 0.003,
                   42.116030492129887, -0.4f, 0.4f},
        ModelCheck{"Swimmer-v4", "swimmer", 5, 5, 2, 4, 5, 4, 8, 4, 1000, 0.01, 106.81415022205297,
                   -1.0f, 1.0f},
        ModelCheck{"Reacher-v4", "reacher", 4, 4, 2, 5, 4, 10, 11, 2, 50, 0.01, 0.07845185174544432,
                   -1.0f, 1.0f},
        ModelCheck{"InvertedPendulum-v4", "inverted_pendulum", 2, 2, 1, 3, 2, 3, 4, 2, 1000, 0.02,
                   15.490567153329286, -3.0f, 3.0f},
        ModelCheck{"InvertedDoublePendulum-v4", "inverted_double_pendulum", 3, 3, 1, 4, 3, 5, 11, 5,
                   1000, 0.01, 18.869452675011495, -1.0f, 1.0f}),
    [](const auto& info) {
      std::string n = info.param.id;
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

MujocoEnv& Task(Env& env) { return dynamic_cast<MujocoEnv&>(dynamic_cast<TimeLimit&>(env).inner()); }

TEST(InvertedPendulumTest, RewardOneAndTerminationAtTheAngleLimit) {
  auto env = MakeEnv("InvertedPendulum-v4");
  std::vector<float> obs(4);
  env->Reset(3, obs);
  for (float v : obs) EXPECT_LE(std::fabs(v), 0.01f);  // U(-0.01, 0.01) noise around 0
  const float push = 3.0f;
  int t = 0;
  for (StepResult r; !r.terminated; ++t) {
    r = env->Step({&push, 1}, obs);
    EXPECT_EQ(r.reward, 1.0);
    // terminated exactly when |angle| > 0.2
    EXPECT_EQ(r.terminated, std::fabs(obs[1]) > 0.2f) << "step " << t;
    ASSERT_LT(t, 1000);
  }
  EXPECT_GT(t, 1);
}

TEST(InvertedDoublePendulumTest, RewardTermsMatchTheFormula) {
  auto env = MakeEnv("InvertedDoublePendulum-v4");
  std::vector<float> obs(11);
  env->Reset(5, obs);
  const MujocoSim& sim = Task(*env).sim();
  Rng rng(1);
  for (int t = 0; t < 30; ++t) {
    const float a = static_cast<float>(rng.Uniform(-1, 1));
    const StepResult r = env->Step({&a, 1}, obs);
    const double x = sim.data()->site_xpos[0], y = sim.data()->site_xpos[2];
    const double v1 = sim.qvel()[1], v2 = sim.qvel()[2];
    const double dist = 0.01 * x * x + (y - 2) * (y - 2), vel = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
    EXPECT_TRUE(env->info().items.empty());  // Gymnasium's v4 gives no info here
    EXPECT_DOUBLE_EQ(r.reward, 10 - dist - vel);
    EXPECT_EQ(r.terminated, y <= 1);
    EXPECT_FLOAT_EQ(obs[1], std::sin(sim.qpos()[1]));
    EXPECT_FLOAT_EQ(obs[4], std::cos(sim.qpos()[2]));
    if (r.terminated) break;
  }
}

TEST(MujocoEnvTest, SameSeedSameTrajectoryAndThreadedEqualsSerial) {
  auto trace = [](int threads, VectorEnv::Threading mode = VectorEnv::Threading::kAlways) {
    ThreadPool pool(threads);
    VectorEnv venv("InvertedDoublePendulum-v4", 4, &pool);
    std::vector<float> obs(4 * 11), rew(4), acts(4), out;
    std::vector<uint8_t> term(4), trunc(4);
    venv.set_threading(mode);
    venv.Reset(7, obs);
    Rng rng(2);
    for (int t = 0; t < 200; ++t) {
      for (float& a : acts) a = static_cast<float>(rng.Uniform(-1, 1));
      venv.Step(acts, obs, rew, term, trunc);
      out.insert(out.end(), obs.begin(), obs.end());
      out.insert(out.end(), rew.begin(), rew.end());
    }
    return out;
  };
  const auto a = trace(1);
  EXPECT_EQ(a, trace(1));
  EXPECT_EQ(a, trace(2));
  EXPECT_EQ(a, trace(2, VectorEnv::Threading::kAuto));  // timed start, then whichever path
}

TEST(MujocoEnvTest, SaveRestoreContinuesBitExactly) {
  for (const std::string& id : ListEnvs()) {
    if (!id.ends_with("-v4")) continue;
    auto env = MakeEnv(id);
    const int od = env->spec().observation_space.flat_dim();
    std::vector<float> obs(od), o1(od), o2(od);
    env->Reset(4, obs);
    const std::vector<float> a(env->spec().action_space.flat_dim(), 0.3f);
    for (int k = 0; k < 5; ++k) env->Step(a, obs);
    const auto saved = env->SaveState();
    std::vector<float> first, second;
    for (int k = 0; k < 40; ++k) {
      const StepResult r = env->Step(a, o1);
      first.insert(first.end(), o1.begin(), o1.end());
      first.push_back(static_cast<float>(r.reward));
      if (r.terminated || r.truncated) env->Reset(o1);
    }
    env->RestoreState(saved);
    for (int k = 0; k < 40; ++k) {
      const StepResult r = env->Step(a, o2);
      second.insert(second.end(), o2.begin(), o2.end());
      second.push_back(static_cast<float>(r.reward));
      if (r.terminated || r.truncated) env->Reset(o2);
    }
    EXPECT_EQ(first, second) << id;
  }
}

TEST(MujocoEnvTest, BadModelsAreClearErrors) {
  try {
    LoadMujocoModelXml("<mujoco><worldbody><body><geom type='sphere' size='-'/></body></worldbody>", "broken");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'broken' does not compile"), std::string::npos) << e.what();
  }
  try {
    LoadMujocoModelXml("this is not xml", "garbage");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("garbage"), std::string::npos);
  }
  try {
    LoadMujocoModelFile("/nonexistent/model.xml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read MuJoCo model file"), std::string::npos);
  }
  auto env = MakeEnv("InvertedPendulum-v4");
  std::vector<float> obs(4), bad = {NAN};
  env->Reset(0, obs);
  EXPECT_THROW(env->Step(bad, obs), Error);
  std::vector<float> two = {0.0f, 0.0f};
  EXPECT_THROW(env->Step(two, obs), Error);
}

TEST(MujocoEnvTest, ModelDirectoryOverride) {
  const auto dir = testing::FreshDir("mujoco_models");
  std::ofstream(dir / "inverted_pendulum.xml") << "<mujoco><worldbody><geom size='oops'/></worldbody></mujoco>";
  setenv("RATCHET_MODEL_DIR", dir.c_str(), 1);
  EXPECT_THROW(MakeEnv("InvertedPendulum-v4"), Error);
  unsetenv("RATCHET_MODEL_DIR");
  EXPECT_NO_THROW(MakeEnv("InvertedPendulum-v4"));
}

}  // namespace
}  // namespace ratchet

#include "env/mujoco/tasks.h"

namespace ratchet {
namespace {

TEST(HealthTest, HopperEdges) {
  std::vector<double> q = {0, 1.25, 0, 0, 0, 0}, v(6, 0.0);
  EXPECT_TRUE(HopperHealthy(q, v));
  q[1] = 0.7;
  EXPECT_FALSE(HopperHealthy(q, v));  // strict: z = 0.7 is unhealthy
  q[1] = std::nextafter(0.7, 1.0);
  EXPECT_TRUE(HopperHealthy(q, v));
  q[2] = 0.2;
  EXPECT_FALSE(HopperHealthy(q, v));
  q[2] = std::nextafter(0.2, 0.0);
  EXPECT_TRUE(HopperHealthy(q, v));
  q[2] = -0.2;
  EXPECT_FALSE(HopperHealthy(q, v));
  q[2] = 0;
  v[4] = 100.0;  // the state range applies to unclipped velocities
  EXPECT_FALSE(HopperHealthy(q, v));
  v[4] = std::nextafter(100.0, 0.0);
  EXPECT_TRUE(HopperHealthy(q, v));
  q[0] = 1e6;  // rootx is excluded from the state-range test
  EXPECT_TRUE(HopperHealthy(q, v));
  q[3] = -100.0;
  EXPECT_FALSE(HopperHealthy(q, v));
}

TEST(HealthTest, Walker2dEdges) {
  std::vector<double> q = {0, 1.25, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(Walker2dHealthy(q));
  for (double z : {0.8, 2.0}) {
    q[1] = z;
    EXPECT_FALSE(Walker2dHealthy(q)) << z;
  }
  q[1] = std::nextafter(2.0, 0.0);
  EXPECT_TRUE(Walker2dHealthy(q));
  q[1] = 1.25;
  for (double a : {1.0, -1.0}) {
    q[2] = a;
    EXPECT_FALSE(Walker2dHealthy(q)) << a;
  }
  q[2] = std::nextafter(1.0, 0.0);
  EXPECT_TRUE(Walker2dHealthy(q));
}

// Random actions until the episode ends: every reward equals its terms, the terms equal their
// formulas on the simulator state, and termination equals the health test.
void CheckLocomotion(const char* id, double ctrl_weight, bool terminates) {
  auto env = MakeEnv(id);
  MujocoEnv& task = Task(*env);
  const int nu = env->spec().action_space.flat_dim();
  std::vector<float> obs(env->spec().observation_space.flat_dim()), a(nu);
  env->Reset(11, obs);
  Rng rng(3);
  int t = 0;
  for (StepResult r; !(r.terminated || r.truncated); ++t) {
    const double x_before = task.sim().qpos()[0];
    double ctrl = 0;
    for (float& x : a) {
      x = static_cast<float>(rng.Uniform(-1.5, 1.5));  // beyond the bounds: the cost sees it raw
      ctrl += static_cast<double>(x) * x;
    }
    r = env->Step(a, obs);
    const double x_velocity = (task.sim().qpos()[0] - x_before) / task.sim().dt();
    EXPECT_DOUBLE_EQ(env->info().Get("x_velocity"), x_velocity);
    const std::string name = id;
    if (name == "HalfCheetah-v4") {
      EXPECT_DOUBLE_EQ(env->info().Get("reward_ctrl"), -ctrl_weight * ctrl);
      EXPECT_DOUBLE_EQ(r.reward, x_velocity - ctrl_weight * ctrl);
    } else {
      EXPECT_DOUBLE_EQ(r.reward, x_velocity + 1.0 - ctrl_weight * ctrl);  // healthy reward always
      const bool healthy = name == "Hopper-v4" ? HopperHealthy(task.sim().qpos(), task.sim().qvel())
                                               : Walker2dHealthy(task.sim().qpos());
      EXPECT_EQ(r.terminated, !healthy);
    }
    if (!terminates) {
      EXPECT_FALSE(r.terminated);
    }
    ASSERT_LE(t, 1000);
  }
  if (terminates) {
    EXPECT_LT(t, 1000);  // random actions topple the walkers long before the time limit
  } else {
    EXPECT_EQ(t, 1000);
  }
}

TEST(LocomotionTest, HalfCheetahRewardTermsAndTimeLimit) { CheckLocomotion("HalfCheetah-v4", 0.1, false); }
TEST(LocomotionTest, HopperRewardTermsAndHealth) { CheckLocomotion("Hopper-v4", 1e-3, true); }
TEST(LocomotionTest, Walker2dRewardTermsAndHealth) { CheckLocomotion("Walker2d-v4", 1e-3, true); }

TEST(HealthTest, AntEdgesAreInclusive) {
  std::vector<double> q(15, 0.0), v(14, 0.0);
  q[3] = 1;
  for (double z : {0.2, 1.0, 0.5}) {
    q[2] = z;
    EXPECT_TRUE(AntHealthy(q, v)) << z;
  }
  for (double z : {std::nextafter(0.2, 0.0), std::nextafter(1.0, 2.0)}) {
    q[2] = z;
    EXPECT_FALSE(AntHealthy(q, v)) << z;
  }
  q[2] = 0.5;
  v[7] = NAN;
  EXPECT_FALSE(AntHealthy(q, v));
}

TEST(LocomotionTest, AntRewardUsesTheTorsoBodyPosition) {
  auto env = MakeEnv("Ant-v4");
  MujocoEnv& task = Task(*env);
  const int torso = task.sim().BodyId("torso");
  std::vector<float> obs(27), a(8);
  env->Reset(6, obs);
  EXPECT_NEAR(obs[0], 0.75, 0.1 + 1e-6);  // torso z
  Rng rng(7);
  int t = 0;
  for (StepResult r; !(r.terminated || r.truncated) && t < 200; ++t) {
    const double x_before = task.sim().xpos(torso)[0];
    double ctrl = 0;
    for (float& x : a) {
      x = static_cast<float>(rng.Uniform(-1, 1));
      ctrl += double(x) * x;
    }
    r = env->Step(a, obs);
    const double v = (task.sim().xpos(torso)[0] - x_before) / task.sim().dt();
    EXPECT_DOUBLE_EQ(r.reward, v + 1.0 - 0.5 * ctrl);
    EXPECT_EQ(r.terminated, !AntHealthy(task.sim().qpos(), task.sim().qvel()));
  }
}

TEST(LocomotionTest, HumanoidRewardUsesTheMassCentre) {
  auto env = MakeEnv("Humanoid-v4");
  MujocoEnv& task = Task(*env);
  const mjModel* m = task.sim().model();
  auto mass_center_x = [&] {
    double mx = 0, total = 0;
    for (int b = 0; b < m->nbody; ++b) {
      mx += m->body_mass[b] * task.sim().data()->xipos[3 * b];
      total += m->body_mass[b];
    }
    return mx / total;
  };
  std::vector<float> obs(376), a(17);
  env->Reset(8, obs);
  EXPECT_NEAR(obs[0], 1.4, 1e-2 + 1e-6);
  Rng rng(9);
  int t = 0;
  for (StepResult r; !(r.terminated || r.truncated); ++t) {
    const double x_before = mass_center_x();
    double ctrl = 0;
    for (float& x : a) {
      x = static_cast<float>(rng.Uniform(-0.5, 0.5));
      ctrl += double(x) * x;
    }
    r = env->Step(a, obs);
    const double v = (mass_center_x() - x_before) / task.sim().dt();
    EXPECT_NEAR(r.reward, 1.25 * v + 5.0 - 0.1 * ctrl, 1e-9);
    const double z = task.sim().qpos()[2];
    EXPECT_EQ(r.terminated, !(1.0 < z && z < 2.0));
    // cfrc_ext is the last block of 84
    EXPECT_EQ(obs[292 + 6 * 3], static_cast<float>(task.sim().data()->cfrc_ext[6 * 3]));
    ASSERT_LT(t, 1000);
  }
  EXPECT_LT(t, 1000);  // random actions make it fall
}

TEST(LocomotionTest, SwimmerRewardAndTimeLimit) {
  auto env = MakeEnv("Swimmer-v4");
  MujocoEnv& task = Task(*env);
  std::vector<float> obs(8), a(2);
  env->Reset(1, obs);
  Rng rng(4);
  int t = 0;
  for (StepResult r; !r.truncated; ++t) {
    const double x_before = task.sim().qpos()[0];
    for (float& x : a) x = static_cast<float>(rng.Uniform(-1, 1));
    r = env->Step(a, obs);
    const double v = (task.sim().qpos()[0] - x_before) / task.sim().dt();
    EXPECT_DOUBLE_EQ(r.reward, v - 1e-4 * (double(a[0]) * a[0] + double(a[1]) * a[1]));
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(obs[0], static_cast<float>(task.sim().qpos()[2]));  // qpos[2:] first
  }
  EXPECT_EQ(t, 1000);
}

TEST(LocomotionTest, ReacherRewardBeforeTheStepAndTimeLimit) {
  auto env = MakeEnv("Reacher-v4");
  MujocoEnv& task = Task(*env);
  std::vector<float> obs(11), a(2);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env->Reset(seed, obs);
    EXPECT_LT(std::hypot(obs[4], obs[5]), 0.2f);  // the goal lies in the disc of radius 0.2
    EXPECT_EQ(task.sim().qvel()[2], 0.0);
    EXPECT_EQ(task.sim().qvel()[3], 0.0);
  }
  Rng rng(5);
  int t = 0;
  for (StepResult r; !r.truncated; ++t) {
    // the v4 reward uses the fingertip vector of the observation *before* the step
    const double dist = -std::sqrt(double(obs[8]) * obs[8] + double(obs[9]) * obs[9] + double(obs[10]) * obs[10]);
    for (float& x : a) x = static_cast<float>(rng.Uniform(-1, 1));
    r = env->Step(a, obs);
    EXPECT_NEAR(env->info().Get("reward_dist"), dist, 1e-6);
    EXPECT_DOUBLE_EQ(env->info().Get("reward_ctrl"), -(double(a[0]) * a[0] + double(a[1]) * a[1]));
    EXPECT_FALSE(r.terminated);
  }
  EXPECT_EQ(t, 50);
}

TEST(LocomotionTest, ObservationLayout) {
  auto env = MakeEnv("Hopper-v4");
  std::vector<float> obs(11);
  env->Reset(2, obs);
  const MujocoSim& sim = Task(*env).sim();
  EXPECT_NEAR(obs[0], 1.25, 5e-3);  // rootz is the absolute torso height
  for (int i = 0; i < 5; ++i) EXPECT_EQ(obs[i], static_cast<float>(sim.qpos()[i + 1]));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(obs[5 + i], static_cast<float>(sim.qvel()[i]));
}

}  // namespace
}  // namespace ratchet
