// The deployable policy: `ratchet export` + DeployedPolicy::Load act exactly as evaluation does,
// bit for bit, on 1000 observations; corrupt files are refused; the example in examples/deploy
// builds against the installed package (find_package(ratchet)) and prints the same actions.
#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ratchet/deploy.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

// A briefly trained run (so weights and normaliser statistics are not at their initial values).
std::filesystem::path TrainRun(const std::string& name, const std::string& algo, const std::string& env,
                               std::vector<std::string> sets) {
  static std::map<std::string, std::filesystem::path> done;
  if (done.count(name)) return done[name];
  const auto dir = testing::FreshDir(fmt::format("deploy_{}_{}", name, getpid()));
  ResolveOptions o;
  o.algo = algo;
  o.env = env;
  o.seed = 3;
  o.sets = std::move(sets);
  o.sets.push_back("eval_episodes=0");
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  return done[name] = dir;
}

// 1000 observations: visited by the stochastic policy, and for Box spaces a few far outside the
// training distribution (exercising the normaliser's clip and the action bounds).
std::vector<std::vector<float>> Observations(const TrainedModel& m) {
  std::unique_ptr<Env> env = MakeEnv(m.cfg.train.env);
  const int od = m.spec.observation_space.flat_dim();
  std::vector<float> raw(od);
  Actor actor(*m.policy, &m.norm, m.spec.action_space);
  Rng rng(11, 0);
  std::vector<std::vector<float>> out;
  env->Reset(5, raw);
  for (uint64_t ep = 6; out.size() < 900;) {
    out.push_back(raw);
    const StepResult r = env->Step(actor.Act(raw, false, rng), raw);
    if (r.terminated || r.truncated) env->Reset(ep++, raw);
  }
  while (out.size() < 1000) {
    std::vector<float> x(od);
    for (float& v : x) v = static_cast<float>(rng.Normal() * 20.0);
    out.push_back(x);
  }
  return out;
}

struct DeployCase {
  const char* name;
  const char* algo;
  const char* env;
  std::vector<std::string> sets;
};

class DeployTest : public ::testing::TestWithParam<DeployCase> {};

TEST_P(DeployTest, ExportedPolicyActsExactlyAsEvaluation) {
  const DeployCase& c = GetParam();
  const auto dir = TrainRun(c.name, c.algo, c.env, c.sets);
  TrainedModel m = LoadTrainedModel(dir);
  if (!m.spec.action_space.is_discrete()) {
    // a bolder output layer, so that many actions fall outside the bounds and get clipped
    const Mlp<float>& net = m.policy->mlp();
    const int L = net.num_layers() - 1;
    for (int k = net.weight_offset(L); k < net.num_params(); ++k) m.policy->params()[k] *= 50.0f;
  }
  const auto file = dir / "policy.rpol";
  ExportPolicy(m, file);
  const DeployedPolicy d = DeployedPolicy::Load(file.string());
  EXPECT_EQ(d.obs_dim(), m.spec.observation_space.flat_dim());
  EXPECT_EQ(d.discrete(), m.spec.action_space.is_discrete());
  EXPECT_EQ(d.contents().env_id, c.env);
  EXPECT_EQ(d.contents().normalize_obs, m.norm.enabled);
  Actor actor(*m.policy, &m.norm, m.spec.action_space);
  Rng unused(0, 0);
  int differing = 0, clipped = 0;
  for (const std::vector<float>& x : Observations(m)) {
    const std::span<const float> want = actor.Act(x, true, unused);
    const std::vector<float> got = d.Act(x);
    ASSERT_EQ(got.size(), want.size());
    differing += std::memcmp(got.data(), want.data(), want.size_bytes()) != 0;
    if (!d.discrete())
      for (size_t k = 0; k < got.size(); ++k)
        clipped += got[k] == m.spec.action_space.high[k] || got[k] == m.spec.action_space.low[k];
  }
  EXPECT_EQ(differing, 0) << "of 1000 observations";
  if (!d.discrete()) {
    EXPECT_GT(clipped, 0) << "no observation exercised the action bounds";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Envs, DeployTest,
    ::testing::Values(
        DeployCase{"cartpole", "ppo", "CartPole-v1", {"n_timesteps=2048"}},
        DeployCase{"pendulum", "ppo", "Pendulum-v1",
                   {"n_timesteps=4096", "n_envs=2", "n_steps=512", "normalize_obs=true"}},
        DeployCase{"halfcheetah", "ppo", "HalfCheetah-v4",
                   {"n_timesteps=2048", "n_steps=512", "normalize_obs=true", "activation=relu"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(DeployFileTest, CorruptFilesAreRefusedSayingWhy) {
  const auto dir = TrainRun("cartpole", "ppo", "CartPole-v1", {"n_timesteps=2048"});
  const auto file = dir / "bad.rpol";
  ExportPolicy(LoadTrainedModel(dir), dir / "good.rpol");
  const std::string good = testing::ReadFile(dir / "good.rpol");
  auto error_with = [&](const std::string& bytes) -> std::string {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    try {
      DeployedPolicy::Load(file.string());
    } catch (const DeployError& e) {
      return e.what();
    }
    return "no error";
  };
  std::string magic = good;
  magic[1] = 'x';
  EXPECT_NE(error_with(magic).find("wrong magic"), std::string::npos);
  std::string newer = good;
  newer[8] = 7;
  EXPECT_NE(error_with(newer).find("newer"), std::string::npos);
  EXPECT_NE(error_with(good.substr(0, good.size() - 100)).find("checksum"), std::string::npos);
  EXPECT_NE(error_with(good.substr(0, 10)).find("truncated"), std::string::npos);
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  EXPECT_NE(error_with(flipped).find("checksum"), std::string::npos);
  try {
    DeployedPolicy::Load((dir / "missing.rpol").string());
    FAIL();
  } catch (const DeployError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
  }
  const DeployedPolicy d = DeployedPolicy::Load((dir / "good.rpol").string());
  std::vector<float> wrong(3);
  EXPECT_THROW(d.Act(wrong), DeployError);
}

// Installs the deploy component, builds examples/deploy against it with find_package(ratchet)
// and checks the example prints the evaluation actions.
TEST(DeployExampleTest, BuildsAgainstTheInstalledPackageAndActs) {
  const auto dir = TrainRun("cartpole", "ppo", "CartPole-v1", {"n_timesteps=2048"});
  const TrainedModel m = LoadTrainedModel(dir);
  ExportPolicy(m, dir / "example.rpol");
  const auto work = testing::FreshDir("deploy_example");
  const std::string log = (work / "log.txt").string();
  auto run = [&](const std::string& cmd) {
    const int rc = std::system(("(" + cmd + ") >>" + log + " 2>&1").c_str());
    ASSERT_EQ(rc, 0) << cmd << "\n" << testing::ReadFile(log);
  };
  run(fmt::format("'{}' --install '{}' --prefix '{}' --component deploy", RATCHET_CMAKE, RATCHET_BUILD_DIR,
                  (work / "prefix").string()));
  const std::string sanitize = RATCHET_SANITIZE_FLAGS;
  const std::string flags =
      sanitize.empty() ? "" : fmt::format(" -DCMAKE_CXX_FLAGS='{0}' -DCMAKE_EXE_LINKER_FLAGS='{0}'", sanitize);
  run(fmt::format("'{}' -S '{}/examples/deploy' -B '{}' -G '{}' -DCMAKE_CXX_COMPILER='{}' -DCMAKE_PREFIX_PATH='{}'{}",
                  RATCHET_CMAKE, RATCHET_SOURCE_DIR, (work / "build").string(), RATCHET_GENERATOR,
                  RATCHET_CXX, (work / "prefix").string(), flags));
  run(fmt::format("'{}' --build '{}'", RATCHET_CMAKE, (work / "build").string()));
  // the deploy component holds its header, the static library and the CMake files only
  EXPECT_TRUE(std::filesystem::exists(work / "prefix" / "include" / "ratchet" / "deploy.h"));
  EXPECT_FALSE(std::filesystem::exists(work / "prefix" / "include" / "ratchet" / "train.h"));

  const std::vector<std::vector<float>> obs = Observations(m);
  {
    std::ofstream in(work / "obs.txt");
    for (const auto& x : obs) {
      for (size_t k = 0; k < x.size(); ++k) in << fmt::format("{}{:.9g}", k ? " " : "", x[k]);
      in << "\n";
    }
  }
  run(fmt::format("'{}' '{}' < '{}' > '{}'", (work / "build" / "act").string(), (dir / "example.rpol").string(),
                  (work / "obs.txt").string(), (work / "actions.txt").string()));
  std::ifstream out(work / "actions.txt");
  Actor actor(*m.policy, &m.norm, m.spec.action_space);
  Rng unused(0, 0);
  int lines = 0, differing = 0;
  for (std::string line; std::getline(out, line); ++lines) {
    ASSERT_LT(lines, 1000);
    differing += std::stof(line) != actor.Act(obs[lines], true, unused)[0];
  }
  EXPECT_EQ(lines, 1000);
  EXPECT_EQ(differing, 0);
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// A user's project built with default compile flags against an install prefix: examples/custom_env
// registers its own environment, trains PPO (stop, resume), evaluates, exports and acts through
// ratchet::ratchet, and its plugin works with the installed `ratchet` command.
TEST(ConsumerProjectTest, FindPackageBuildsTrainsAndRunsTheCustomEnvExample) {
  const auto work = testing::FreshDir("consumer");
  const std::string log = (work / "log.txt").string();
  auto run = [&](const std::string& cmd) {
    const int rc = std::system(("(" + cmd + ") >>" + log + " 2>&1").c_str());
    ASSERT_EQ(rc, 0) << cmd << "\n" << testing::ReadFile(log);
  };
  run(fmt::format("'{}' --install '{}' --prefix '{}'", RATCHET_CMAKE, RATCHET_BUILD_DIR, (work / "prefix").string()));
  EXPECT_TRUE(std::filesystem::exists(work / "prefix" / "include" / "ratchet" / "train.h"));
  const std::string sanitize = RATCHET_SANITIZE_FLAGS;
  const std::string flags =
      sanitize.empty() ? "" : fmt::format(" -DCMAKE_CXX_FLAGS='{0}' -DCMAKE_EXE_LINKER_FLAGS='{0}' -DCMAKE_MODULE_LINKER_FLAGS='{0}'", sanitize);
  // no build type, no -march: the consumer uses none of Ratchet's flags
  run(fmt::format("'{}' -S '{}/examples/custom_env' -B '{}' -G '{}' -DCMAKE_CXX_COMPILER='{}' -DCMAKE_PREFIX_PATH='{}'{}",
                  RATCHET_CMAKE, RATCHET_SOURCE_DIR, (work / "build").string(), RATCHET_GENERATOR, RATCHET_CXX,
                  (work / "prefix").string(), flags));
  run(fmt::format("'{}' --build '{}'", RATCHET_CMAKE, (work / "build").string()));
  run(fmt::format("'{}' '{}'", (work / "build" / "custom_env_train").string(), (work / "run").string()));
  const std::string out = testing::ReadFile(log);
  EXPECT_NE(out.find("stopped at 40960 steps; resuming"), std::string::npos) << out;
  EXPECT_NE(out.find("20 fresh episodes:"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(work / "run" / "policy.rpol"));
  // the plugin from the same project, in the installed command
  const std::string ratchet = (work / "prefix" / "bin" / "ratchet").string();
  const std::string plugin = (work / "build" / "libpoint_mass.so").string();
  run(fmt::format("'{}' --plugin '{}' envs | grep -q PointMass-v0", ratchet, plugin));
  run(fmt::format("'{}' --plugin '{}' eval '{}' --episodes 2 | grep -q deterministic", ratchet, plugin,
                  (work / "run").string()));
  // sweeps and a tuning session of the project's own environment, every run served by the program
  const std::string sweep = (work / "build" / "custom_env_sweep").string();
  run(fmt::format("'{}' '{}'", sweep, (work / "exp").string()));
  const std::string exp_out = testing::ReadFile(log);
  EXPECT_NE(exp_out.find("sweep: 2 trained, 0 skipped, 0 failed"), std::string::npos) << exp_out;
  EXPECT_NE(exp_out.find("| ppo | PointMass-v0 | 2 |"), std::string::npos) << exp_out;
  EXPECT_TRUE(std::filesystem::exists(work / "exp" / "tune" / "best.yaml")) << exp_out;
  EXPECT_NE(testing::ReadFile(work / "exp" / "sweep" / "logs" / "ppo-PointMass-v0-s1.log").find(
                sweep + " --ratchet-run train --algo ppo --env PointMass-v0 --seed 1"),
            std::string::npos);
  // again: the sweep's runs are finished, and the session holds its trials
  run(fmt::format("'{}' '{}'", sweep, (work / "exp").string()));
  EXPECT_NE(testing::ReadFile(log).find("sweep: 0 trained, 2 skipped, 0 failed"), std::string::npos);
  EXPECT_NE(testing::ReadFile(log).find("2 trials (2 finished)"), std::string::npos);
  // a served run stopped by SIGINT (a sweep passes the user's Ctrl-C on to its runs) writes a
  // checkpoint and exits 128 + 2, and its resume stopped by SIGTERM likewise with 128 + 15
  const std::string served = (work / "served").string();
  const int stopped = std::system(
      fmt::format("timeout --preserve-status -k 20 -s INT 3 '{}' --ratchet-run train --algo ppo --env PointMass-v0 "
                  "--seed 1 --steps 100000000 --run-dir '{}' >>'{}' 2>&1", sweep, served, log).c_str());
  EXPECT_EQ(WEXITSTATUS(stopped), 130) << testing::ReadFile(log);
  const int resumed = std::system(
      fmt::format("timeout --preserve-status -k 20 -s TERM 3 '{}' --ratchet-run resume '{}' >>'{}' 2>&1", sweep, served, log).c_str());
  EXPECT_EQ(WEXITSTATUS(resumed), 143) << testing::ReadFile(log);
  const std::string served_out = testing::ReadFile(log);
  const size_t first = served_out.find("checkpoint written in " + served);
  ASSERT_NE(first, std::string::npos) << served_out;
  EXPECT_NE(served_out.find("checkpoint written in " + served, first + 1), std::string::npos) << served_out;
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// The same project with Ratchet's source tree added by add_subdirectory, default flags: the
// library is compiled again inside the project (about a minute on two cores), with its own flags
// kept to its own directory, and the example trains, resumes, evaluates and exports as above.
TEST(ConsumerProjectTest, AddSubdirectoryBuildsTrainsAndRuns) {
  const auto work = testing::FreshDir("consumer_subdir");
  const std::string log = (work / "log.txt").string();
  auto run = [&](const std::string& cmd) {
    const int rc = std::system(("(" + cmd + ") >>" + log + " 2>&1").c_str());
    ASSERT_EQ(rc, 0) << cmd << "\n" << testing::ReadFile(log);
  };
  const std::string sanitize = RATCHET_SANITIZE_FLAGS;
  const std::string flags =
      sanitize.empty() ? "" : fmt::format(" -DCMAKE_CXX_FLAGS='{0}' -DCMAKE_EXE_LINKER_FLAGS='{0}' -DCMAKE_MODULE_LINKER_FLAGS='{0}' -DCMAKE_SHARED_LINKER_FLAGS='{0}'", sanitize);
  run(fmt::format("'{}' -S '{}/examples/custom_env' -B '{}' -G '{}' -DCMAKE_CXX_COMPILER='{}' "
                  "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DRATCHET_SOURCE_DIR='{}'{}",
                  RATCHET_CMAKE, RATCHET_SOURCE_DIR, (work / "build").string(), RATCHET_GENERATOR, RATCHET_CXX,
                  RATCHET_SOURCE_DIR, flags));
  // the library's flags stay inside its directory: the consumer's compile line has no -march
  const std::string commands = testing::ReadFile(work / "build" / "compile_commands.json");
  const size_t train_cc = commands.find("examples/custom_env/train.cc\"");
  ASSERT_NE(train_cc, std::string::npos);
  const size_t start = commands.rfind("\"command\"", train_cc);
  EXPECT_EQ(commands.substr(start, train_cc - start).find("-march"), std::string::npos);
  run(fmt::format("'{}' --build '{}' --target custom_env_train", RATCHET_CMAKE, (work / "build").string()));
  run(fmt::format("'{}' '{}'", (work / "build" / "custom_env_train").string(), (work / "run").string()));
  const std::string out = testing::ReadFile(log);
  EXPECT_NE(out.find("stopped at 40960 steps; resuming"), std::string::npos) << out;
  EXPECT_NE(out.find("20 fresh episodes:"), std::string::npos) << out;
}

}  // namespace
}  // namespace ratchet
