// Exact resume: training 2S steps in one go and training S, stopping, then resuming produce
// bit-identical parameters and progress.csv rows (wall time excepted).
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "ratchet/log.h"
#include "ratchet/train.h"
#include "test_util.h"
#include "train/checkpoint.h"

namespace ratchet {
namespace {


struct ResumeCase {
  const char* algo;
  const char* env;
  std::vector<std::string> sets;
  int64_t stop_at;
};

class ResumeTest : public ::testing::TestWithParam<ResumeCase> {};

TEST_P(ResumeTest, StopAndResumeIsBitIdentical) {
  const ResumeCase c = GetParam();
  auto config = [&](std::vector<std::string> extra) {
    ResolveOptions o;
    o.algo = c.algo;
    o.env = c.env;
    o.seed = 5;
    o.sets = c.sets;
    o.sets.insert(o.sets.end(), extra.begin(), extra.end());
    return ResolveRunConfig(o);
  };
  const std::string name = fmt::format("resume_{}_{}", c.algo, c.env);
  const auto whole = testing::FreshDir(name + "_whole"), parts = testing::FreshDir(name + "_parts");
  RunConfig a = config({"checkpoint_every=3"});
  const TrainResult ra = Train(a, whole, {});
  RunConfig b = config({"checkpoint_every=3", fmt::format("stop_at={}", c.stop_at)});
  const TrainResult rb1 = Train(b, parts, {});
  ASSERT_TRUE(rb1.stopped);
  EXPECT_LT(rb1.steps, ra.steps);
  const TrainResult rb2 = Resume(parts, {});
  EXPECT_FALSE(rb2.stopped);
  EXPECT_EQ(rb2.steps, ra.steps);
  EXPECT_EQ(testing::CsvWithoutWallTime(whole / "progress.csv"), testing::CsvWithoutWallTime(parts / "progress.csv"));
  EXPECT_EQ(testing::JsonlWithoutWallTime(whole / "progress.jsonl"),
            testing::JsonlWithoutWallTime(parts / "progress.jsonl"));
  EXPECT_EQ(testing::EventsWithoutWallTime(whole), testing::EventsWithoutWallTime(parts));
  EXPECT_EQ(testing::ReadFile(whole / "model.bin"), testing::ReadFile(parts / "model.bin"));
  ASSERT_TRUE(ra.eval && rb2.eval);
  EXPECT_EQ(ra.eval->returns, rb2.eval->returns);
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, ResumeTest,
    ::testing::Values(
        ResumeCase{"ppo", "Pendulum-v1",
                   {"n_timesteps=8192", "n_envs=2", "n_steps=512", "normalize_obs=true", "normalize_reward=true",
                    "eval_episodes=2"},
                   4096},
        ResumeCase{"trpo", "CartPole-v1", {"n_timesteps=10240", "eval_episodes=2"}, 5120},
        ResumeCase{"acktr", "CartPole-v1", {"n_timesteps=6400", "eval_episodes=2"}, 3200},
        ResumeCase{"acktr", "Pendulum-v1",
                   {"variant=separate", "whole_episodes=true", "n_timesteps=4096", "n_envs=2", "n_steps=256",
                    "vf_iters=5", "eval_episodes=2"},
                   2048},
        ResumeCase{"ppo", "HalfCheetah-v4", {"n_timesteps=4096", "n_steps=512", "net_arch=64,64", "eval_episodes=1"}, 2048}),
    [](const auto& info) {
      std::string n = std::string(info.param.algo) + "_" + info.param.env;
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(CheckpointTest, TrainNeverWritesIntoADirectoryItDidNotMake) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_timesteps=512"};
  RunConfig cfg = ResolveRunConfig(o);
  // someone's directory with a config.yaml, a progress.csv and an event file of their own
  const auto dir = testing::FreshDir("not_a_run");
  for (const char* f : {"config.yaml", "progress.csv", "events.out.tfevents.1.host"}) std::ofstream(dir / f) << "mine";
  const std::string why = testing::ErrorOf([&] { Train(cfg, dir, {}); });
  EXPECT_NE(why.find("holds files that are not a Ratchet run"), std::string::npos) << why;
  for (const char* f : {"config.yaml", "progress.csv", "events.out.tfevents.1.host"})
    EXPECT_EQ(testing::ReadFile(dir / f), "mine") << f;
  // a run Train made and that stopped before its first checkpoint starts again
  const auto ours = testing::FreshDir("ours_restart");
  o.sets = {"n_timesteps=512", "stop_at=256", "checkpoint_every=100"};
  RunConfig stopping = ResolveRunConfig(o);
  Train(stopping, ours, {});
  std::filesystem::remove_all(ours / "checkpoints");
  EXPECT_TRUE(InspectRunDir(ours).ours && InspectRunDir(ours).restartable());
  EXPECT_EQ(Train(cfg, ours, {}).steps, 512);
}

TEST(CheckpointTest, AResumeTotalBelowTheStepsDoneIsRefusedAndChangesNothing) {
  const auto dir = testing::FreshDir("ckpt_below");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_timesteps=2048", "stop_at=1024"};
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  const std::string config = testing::ReadFile(dir / "config.yaml");
  const std::string why = testing::ErrorOf([&] { Resume(dir, {}, 256); });
  EXPECT_NE(why.find("--steps 256 is below the 1024 steps"), std::string::npos) << why;
  EXPECT_EQ(testing::ReadFile(dir / "config.yaml"), config);
  EXPECT_EQ(Resume(dir, {}, 1024).steps, 1024);  // the total already reached: nothing more to train
}

TEST(CheckpointTest, BadCheckpointsAreRefusedAndNothingIsOverwritten) {
  const auto dir = testing::FreshDir("ckpt_bad");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_timesteps=2048", "checkpoint_every=2", "stop_at=1024"};
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  const auto ckpt = dir / "checkpoints" / "ckpt-00000004.bin";
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  const std::string good = testing::ReadFile(ckpt);
  const std::string progress = testing::ReadFile(dir / "progress.csv");
  auto error_with = [&](const std::string& bytes) {
    std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << bytes;
    try {
      Resume(dir, {});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_NE(error_with(magic).find("wrong magic"), std::string::npos);
  std::string newer = good;
  newer[8] = 9;
  EXPECT_NE(error_with(newer).find("newer"), std::string::npos);
  EXPECT_NE(error_with(good.substr(0, good.size() / 2)).find("checksum"), std::string::npos);
  EXPECT_NE(error_with(good.substr(0, 10)).find("truncated"), std::string::npos);
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  EXPECT_NE(error_with(flipped).find("checksum mismatch"), std::string::npos);
  // nothing was overwritten by the refused resumes
  EXPECT_EQ(testing::ReadFile(dir / "progress.csv"), progress);
  EXPECT_FALSE(std::filesystem::exists(dir / "model.bin"));
  std::filesystem::remove_all(dir / "checkpoints");
  try {
    Resume(dir, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no checkpoint"), std::string::npos);
  }
}

// What kill -9 between checkpoints leaves behind: logs that ran past the newest checkpoint.
// Resuming cuts every log back to that checkpoint and then equals an uninterrupted run.
TEST(CheckpointTest, LogsPastTheNewestCheckpointAreCutOnResume) {
  const auto whole = testing::FreshDir("ckpt_kill_whole"), killed = testing::FreshDir("ckpt_kill");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_timesteps=3840", "checkpoint_every=4", "eval_episodes=1"};
  RunConfig a = ResolveRunConfig(o);
  Train(a, whole, {});
  o.sets.push_back("stop_at=2816");  // update 11; the checkpoint at 11 is then removed
  RunConfig b = ResolveRunConfig(o);
  Train(b, killed, {});
  std::filesystem::remove(killed / "checkpoints" / "ckpt-00000011.bin");
  ASSERT_TRUE(std::filesystem::exists(killed / "checkpoints" / "ckpt-00000008.bin"));
  ASSERT_EQ(testing::CsvWithoutWallTime(killed / "progress.csv").size(), 12u);  // header + 11 rows
  Resume(killed, {});
  EXPECT_EQ(testing::CsvWithoutWallTime(whole / "progress.csv"), testing::CsvWithoutWallTime(killed / "progress.csv"));
  EXPECT_EQ(testing::JsonlWithoutWallTime(whole / "progress.jsonl"),
            testing::JsonlWithoutWallTime(killed / "progress.jsonl"));
  EXPECT_EQ(testing::EventsWithoutWallTime(whole), testing::EventsWithoutWallTime(killed));
  EXPECT_EQ(testing::ReadFile(whole / "model.bin"), testing::ReadFile(killed / "model.bin"));
}

TEST(CheckpointTest, OnlyTheNewestAreKept) {
  const auto dir = testing::FreshDir("ckpt_keep");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_timesteps=2560", "checkpoint_every=2", "checkpoint_keep=2", "eval_episodes=0"};
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir / "checkpoints")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-00000008.bin", "ckpt-00000010.bin"}));
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Checkpoints written by earlier builds (tests/train/fixtures/README.md) load, and resuming them
// gives the model those builds gave, bit for bit.
TEST(CheckpointFixtureTest, OldCheckpointsResumeToTheSameBits) {
  const std::filesystem::path fixtures = std::filesystem::path(RATCHET_SOURCE_DIR) / "tests" / "train" / "fixtures";
  int checked = 0;
  for (const char* name : {"v4-ppo-cartpole", "v4-a2c-cartpole", "v4-acktr-cartpole", "v4-trpo-pendulum",
                           "v4-ppo-kl-halfcheetah", "v3-ppo-cartpole", "v3-acktr-cartpole"}) {
    const auto dir = testing::FreshDir(std::string("fixture_") + name);
    std::filesystem::remove_all(dir);
    std::filesystem::copy(fixtures / name, dir, std::filesystem::copy_options::recursive);
    const uint32_t version = LoadLatestCheckpoint(dir).version;
    EXPECT_EQ(version, name[1] == '3' ? 3u : 4u) << name;
    const TrainResult res = Resume(dir, {});
    EXPECT_FALSE(res.stopped) << name;
    EXPECT_EQ(testing::ReadFile(dir / "model.bin"), testing::ReadFile(fixtures / (std::string(name) + ".expected-model.bin")))
        << name << " resumed to another model than the build that wrote it";
    ++checked;
  }
  EXPECT_EQ(checked, 7);
}

}  // namespace
}  // namespace ratchet
