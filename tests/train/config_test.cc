#include <fstream>
#include <map>
#include <set>

#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

ResolveOptions Opts(std::vector<std::string> sets = {}) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = std::move(sets);
  return o;
}

using testing::ErrorOf;

TEST(ConfigTest, PresetForCartPoleIsTheTunedSetting) {
  RunConfig c = ResolveRunConfig(Opts());
  EXPECT_EQ(c.train.n_envs, 8);
  EXPECT_EQ(c.train.n_steps, 32);
  EXPECT_EQ(c.train.n_timesteps, 100000);
  EXPECT_DOUBLE_EQ(c.train.gamma, 0.98);
  const auto dump = c.Binder().Dump();
  auto get = [&](const std::string& k) {
    for (const auto& [key, v] : dump)
      if (key == k) return v;
    return std::string("?");
  };
  EXPECT_EQ(get("learning_rate"), "lin_0.001");
  EXPECT_EQ(get("n_epochs"), "20");
  EXPECT_EQ(get("batch_size"), "256");
}

TEST(ConfigTest, AnotherVersionOfATaskGetsItsEntryBeforeDefault) {
  const std::string yaml =
      "default:\n  n_steps: 1\nHopper-v3:\n  n_steps: 3\nHopper-v4:\n  n_steps: 4\nAnt-v6:\n  n_steps: 6\n"
      "Ant-v8:\n  n_steps: 8\nplugin:Thing:\n  n_steps: 9\n";
  EXPECT_EQ(PresetEntryFor(yaml, "Hopper-v4", "p"), "Hopper-v4");
  EXPECT_EQ(PresetEntryFor(yaml, "Hopper-v5", "p"), "Hopper-v4");  // the newest below
  EXPECT_EQ(PresetEntryFor(yaml, "Hopper-v2", "p"), "Hopper-v3");  // else the oldest above
  EXPECT_EQ(PresetEntryFor(yaml, "Ant-v7", "p"), "Ant-v6");
  EXPECT_EQ(PresetEntryFor(yaml, "Ant-v5", "p"), "Ant-v6");
  EXPECT_EQ(PresetEntryFor(yaml, "Hop-v4", "p"), "default");  // the task's name must match whole
  EXPECT_EQ(PresetEntryFor(yaml, "plugin:Thing", "p"), "plugin:Thing");
  EXPECT_EQ(PresetEntryFor(yaml, "plugin:Other", "p"), "default");
  EXPECT_EQ(PresetEntryFor("Hopper-v4:\n  n_steps: 4\n", "Walker2d-v4", "p"), "");
  const auto hopper5 = PresetFor(yaml, "Hopper-v5", "p");
  ASSERT_EQ(hopper5.size(), 1u);
  EXPECT_EQ(hopper5[0].second, "4");
  // the built-in presets: every v5 MuJoCo task trains with its tuned v4 setting
  for (const char* task : {"HalfCheetah", "Hopper", "Walker2d", "Ant", "Humanoid"}) {
    RunConfig v4 = ResolveRunConfig({.algo = "ppo", .env = std::string(task) + "-v4"});
    RunConfig v5 = ResolveRunConfig({.algo = "ppo", .env = std::string(task) + "-v5"});
    EXPECT_EQ(v5.Binder().Dump(), v4.Binder().Dump()) << task;
  }
  EXPECT_EQ(BorrowedPresetEntry({.algo = "trpo", .env = "Ant-v5"}), "Ant-v4's entry of configs/trpo.yaml");
  EXPECT_EQ(BorrowedPresetEntry({.algo = "trpo", .env = "Ant-v4"}), "");
}

TEST(ConfigTest, SetOverridesAndFlagsWin) {
  ResolveOptions o = Opts({"n_epochs=3", "net_arch=[32,16]", "target_kl=0.02"});
  o.steps = 5000;
  o.seed = 9;
  RunConfig c = ResolveRunConfig(o);
  EXPECT_EQ(c.train.n_timesteps, 5000);
  EXPECT_EQ(c.train.seed, 9);
  EXPECT_EQ(c.train.net.hidden, (std::vector<int>{32, 16}));
}

TEST(ConfigTest, UnknownEnvOrAlgoIsAnError) {
  ResolveOptions o = Opts();
  o.env = "Nope-v0";
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(o); }).find("unknown environment 'Nope-v0'"), std::string::npos);
  o = Opts();
  o.algo = "dqn";
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(o); }).find("unknown algorithm 'dqn'; known algorithms: vpg, a2c, npg, trpo, ppo, ppo-kl, acktr"),
            std::string::npos);
}

TEST(ConfigTest, BadSetsNameTheProblem) {
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"n_epochs"})); }).find("key=value"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"=3"})); }).find("key=value"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"n_epoch=3"})); }).find("unknown config key 'n_epoch'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"n_epochs=many"})); }).find("expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"gamma=1.5"})); }).find("gamma must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"batch_size=100000"})); }).find("batch_size"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"activation=sigmoid"})); }).find("tanh or relu"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ResolveRunConfig(Opts({"n_timesteps=100"})); }).find("smaller than one rollout"),
            std::string::npos);
  // budgets whose update count would not fit the 32-bit counters: refused, never wrapped
  for (const char* steps : {"n_timesteps=1000000000000000000", "n_timesteps=1099511630336"})  // 256 (2^32 + 10)
    EXPECT_NE(ErrorOf([&] { ResolveRunConfig(Opts({"n_steps=32", "n_envs=8", steps})); }).find("more than the 2147483647"),
              std::string::npos) << steps;
  EXPECT_NO_THROW(ResolveRunConfig(Opts({"n_steps=32", "n_envs=8", "n_timesteps=549755813632"})));  // 2^31 - 1 updates
}

TEST(ConfigTest, PresetWithUnknownKeyIsRejected) {
  const auto dir = testing::FreshDir("preset");
  std::ofstream(dir / "bad.yaml") << "CartPole-v1:\n  n_steps: 32\n  learning_rat: 0.1\n";
  ResolveOptions o = Opts();
  o.preset_path = (dir / "bad.yaml").string();
  const std::string msg = ErrorOf([&] { ResolveRunConfig(o); });
  EXPECT_NE(msg.find("unknown config key 'learning_rat'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.yaml"), std::string::npos) << msg;
  std::ofstream(dir / "broken.yaml") << "CartPole-v1: [\n";
  o.preset_path = (dir / "broken.yaml").string();
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(o); }).find("malformed YAML"), std::string::npos);
  o.preset_path = (dir / "missing.yaml").string();
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(o); }).find("cannot read preset file"), std::string::npos);
}

TEST(ConfigTest, PresetDefaultEntryServesOtherIds) {
  const auto dir = testing::FreshDir("preset_default");
  std::ofstream(dir / "p.yaml") << "default:\n  n_steps: 64\nPendulum-v1:\n  n_steps: 16\n";
  ResolveOptions o = Opts();
  o.preset_path = (dir / "p.yaml").string();
  EXPECT_EQ(ResolveRunConfig(o).train.n_steps, 64);
  o.env = "Pendulum-v1";
  EXPECT_EQ(ResolveRunConfig(o).train.n_steps, 16);
}

TEST(ConfigTest, RunConfigRoundTrips) {
  const auto dir = testing::FreshDir("roundtrip");
  RunConfig c = ResolveRunConfig(Opts({"net_arch=[32,16]", "clip_range_vf=0.3", "learning_rate=2e-4"}));
  const std::string yaml = c.ToYaml();
  std::ofstream(dir / "config.yaml") << yaml;
  RunConfig back = LoadRunConfig(dir);
  EXPECT_EQ(back.ToYaml(), yaml);
  EXPECT_EQ(back.train.net.hidden, (std::vector<int>{32, 16}));
}

TEST(ConfigTest, LoadRunConfigErrors) {
  EXPECT_NE(ErrorOf([] { LoadRunConfig("/nonexistent/run"); }).find("does not exist"), std::string::npos);
  const auto dir = testing::FreshDir("noconfig");
  EXPECT_NE(ErrorOf([&] { LoadRunConfig(dir); }).find("cannot read run config"), std::string::npos);
  std::ofstream(dir / "config.yaml") << "hello: world\n";
  EXPECT_NE(ErrorOf([&] { LoadRunConfig(dir); }).find("not a Ratchet run config"), std::string::npos);
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Each setting's traits say what it changes; every list of settings derives from them (resume's
// check, sweep grouping and conflicts, tuned presets, what tune refuses): here is what they say.
TEST(SettingsTest, TraitsSayWhatEachSettingChanges) {
  for (const AlgoEntry& a : Algorithms()) {
    std::map<std::string, std::set<std::string>> by;
    for (const SettingInfo& s : Settings(a.name)) {
      EXPECT_FALSE(s.doc.empty()) << a.name << " " << s.key;
      by[SettingTraitsName(s.traits)].insert(s.key);
    }
    EXPECT_EQ(by["incidental"], (std::set<std::string>{"threads", "checkpoint_every", "checkpoint_minutes",
                                                        "checkpoint_keep", "stop_at", "stop_at_return", "eval_every"}))
        << a.name;
    EXPECT_EQ(by["reporting"], (std::set<std::string>{"eval_episodes", "label"})) << a.name;
    EXPECT_EQ(by["budget"], std::set<std::string>{"n_timesteps"}) << a.name;
    EXPECT_EQ(by["replicate"], std::set<std::string>{"seed"}) << a.name;
    EXPECT_TRUE(by[""].count("gamma") && by[""].count("net_arch")) << a.name;
  }
  // the algorithms' own keys are theirs
  bool ppo_has_clip = false;
  for (const SettingInfo& s : Settings("ppo")) ppo_has_clip |= s.key == "clip_range" && s.algorithm_specific;
  EXPECT_TRUE(ppo_has_clip);
}

TEST(SettingsTest, TheReferencePageIsGeneratedFromTheDeclarations) {
  const std::filesystem::path page = std::filesystem::path(RATCHET_SOURCE_DIR) / "docs" / "SETTINGS.md";
  EXPECT_EQ(testing::ReadFile(page), SettingsReference())
      << "docs/SETTINGS.md is stale: ./build/release/ratchet config --reference > docs/SETTINGS.md";
}

}  // namespace
}  // namespace ratchet
