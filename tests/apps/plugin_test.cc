// CLI plugins: an environment from a shared library gets the whole command line (train, resume,
// eval with a GIF-less evaluation, export, config, sweep children); bad plugins exit 2 with one line.
#include <sys/wait.h>

#include <fmt/format.h>

#include "ratchet/deploy.h"
#include "test_util.h"

namespace {

using ratchet::testing::Lines;
using Result = ratchet::testing::CliResult;
using ratchet::testing::RunCli;

const std::string kPlugin = RATCHET_TEST_PLUGIN;

TEST(PluginTest, APluginEnvGetsEveryCommand) {
  const auto dir = ratchet::testing::FreshDir("plugin_cli");
  const Result envs = RunCli("--plugin " + kPlugin + " envs");
  ASSERT_EQ(envs.code, 0) << envs.err;
  EXPECT_NE(envs.out.find("PointMass-v0"), std::string::npos);
  EXPECT_NE(envs.out.find(std::filesystem::canonical(kPlugin).string()), std::string::npos);

  const std::string run = (dir / "run").string();
  const std::string sets = "--set n_envs=2 --set n_steps=128 --set batch_size=128 --set eval_episodes=2";
  Result r = RunCli("--plugin " + kPlugin + " train --algo ppo --env PointMass-v0 --steps 2048 --quiet " + sets +
                 " --set stop_at=1024 --run-dir " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(ratchet::testing::ReadFile(dir / "run" / "config.yaml").find("env_plugin: " +
                                                                          std::filesystem::canonical(kPlugin).string()),
            std::string::npos);
  // the run directory finds its plugin again: no --plugin from here on
  r = RunCli("resume --quiet " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("trained 2048 steps"), std::string::npos) << r.out;
  r = RunCli("eval --episodes 2 " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("deterministic"), std::string::npos);
  r = RunCli("export " + run + " -o " + (dir / "p.rpol").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ratchet::DeployedPolicy::Load((dir / "p.rpol").string()).obs_dim(), 6);
  // the same through RATCHET_PLUGINS, and the resolved config of the plugin's env
  r = RunCli("config --algo trpo --env PointMass-v0", "RATCHET_PLUGINS=/nonexistent-first-is-fine-not:" + kPlugin);
  EXPECT_EQ(r.code, 2);  // a listed plugin that does not exist is an error too
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = RunCli("config --algo trpo --env PointMass-v0", "RATCHET_PLUGINS=" + kPlugin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("env: PointMass-v0"), std::string::npos);
  // sweep children (separate processes) get the plugin too
  r = RunCli("--plugin " + kPlugin + " sweep --algo ppo --env PointMass-v0 --seeds 1-2 --steps 512 --jobs 2 --set n_envs=2 " +
          "--set n_steps=128 --set batch_size=128 --set eval_episodes=1 --out " + (dir / "sweep").string());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  for (int s : {1, 2})
    EXPECT_TRUE(std::filesystem::exists(dir / "sweep" / fmt::format("ppo-PointMass-v0-s{}", s) / "model.bin")) << r.out;
}

TEST(PluginTest, BadPluginsExitTwoWithOneLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"/nonexistent/libnothing.so", "plugin '/nonexistent/libnothing.so' does not exist"},
      {RATCHET_TEST_NOT_A_PLUGIN, "has no entry point 'ratchet_plugin_register_v1'"},
      {RATCHET_TEST_DUPLICATE_PLUGIN, "cannot register 'CartPole-v1': a built-in environment has that id"},
      {RATCHET_CLI, "cannot load plugin"}};  // an executable, not a shared library
  for (const auto& [path, expect] : cases) {
    const Result r = RunCli("--plugin " + path + " envs");
    EXPECT_EQ(r.code, 2) << path << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  }
  // a failed plugin leaves nothing registered: the twin it registered first is gone again
  const Result r = RunCli("--plugin " + kPlugin + " envs");
  EXPECT_EQ(r.out.find("PointMassTwin-v0"), std::string::npos);
  // a run whose plugin has gone says so
  const auto dir = ratchet::testing::FreshDir("plugin_gone");
  const auto copy = dir / "libcopy.so";
  std::filesystem::copy_file(kPlugin, copy);
  const std::string run = (dir / "run").string();
  ASSERT_EQ(RunCli("--plugin " + copy.string() + " train --env PointMass-v0 --steps 256 --quiet --set n_envs=1 "
                "--set n_steps=128 --set batch_size=64 --set eval_episodes=0 --run-dir " + run).code, 0);
  std::filesystem::remove(copy);
  const Result gone = RunCli("eval " + run);
  EXPECT_EQ(gone.code, 2);
  EXPECT_EQ(Lines(gone.err), 1) << gone.err;
  EXPECT_NE(gone.err.find("comes from a plugin that cannot be loaded"), std::string::npos) << gone.err;
}

}  // namespace
