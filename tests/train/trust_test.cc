// Defects a user can hit with crafted or damaged files, concurrent processes and diverging runs:
// each is refused with a message naming the problem, and nothing already written is lost.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <cstring>
#include <sstream>
#include <fmt/format.h>
#include <chrono>
#include <thread>

#include "ratchet/algo.h"
#include "ratchet/deploy.h"
#include "ratchet/train.h"
#include "test_util.h"
#include "core/file.h"
#include "train/checkpoint.h"

namespace ratchet {
namespace {

using testing::ErrorOf;

// A CartPole PPO run stopped at update 4 with a checkpoint.
std::filesystem::path StoppedRun(const std::string& name) {
  const auto dir = testing::FreshDir(name);
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=1024", "stop_at=512", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  EXPECT_TRUE(Train(cfg, dir, {}).stopped);
  return dir;
}

// Rewrites the newest checkpoint with `edit` applied to its payload (the checksum stays valid).
void EditCheckpoint(const std::filesystem::path& dir, const std::function<void(std::vector<uint8_t>&)>& edit) {
  LoadedCheckpoint ck = LoadLatestCheckpoint(dir);
  edit(ck.payload);
  std::filesystem::remove(ck.path);
  WriteCheckpoint(dir, 4, ck.config_yaml, ck.payload, 10);
}

TEST(TrustTest, CraftedCheckpointCountersAreRefused) {
  const auto dir = StoppedRun("trust_counters");
  const std::string progress = testing::ReadFile(dir / "progress.csv");
  EditCheckpoint(dir, [](std::vector<uint8_t>& p) {
    const int32_t bad = -2147483647;
    std::memcpy(p.data(), &bad, 4);
  });
  EXPECT_NE(ErrorOf([&] { Resume(dir, {}); }).find("checkpoint is corrupt: update -2147483647"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(dir / "progress.csv"), progress);
}

TEST(TrustTest, AnAllZeroGeneratorStateIsRefusedNotLoopedOn) {
  Rng rng(1);
  EXPECT_THROW(rng.set_state({0, 0, 0, 0}), Error);
  const auto dir = StoppedRun("trust_rng");
  EditCheckpoint(dir, [](std::vector<uint8_t>& p) {
    // payload: updates, steps, episodes, wall, the episode window, then the collector's two
    // observation arrays (2 copies x 4 floats each) and its generator state
    uint64_t n_recent;
    std::memcpy(&n_recent, p.data() + 28, 8);
    const size_t rng_at = 36 + 16 * n_recent + 2 * (8 + 2 * 4 * 4);
    std::memset(p.data() + rng_at, 0, 32);
  });
  EXPECT_NE(ErrorOf([&] { Resume(dir, {}); }).find("all zeros"), std::string::npos);
}

TEST(TrustTest, CheckpointNamesCannotReorderCheckpoints) {
  const auto dir = StoppedRun("trust_names");
  const auto ckpts = dir / "checkpoints";
  const auto newest = LatestCheckpointPath(dir);
  // a stray file that sorts first as text but is not ckpt-<digits>.bin is ignored
  std::filesystem::copy_file(newest, ckpts / "ckpt--0993322.bin");
  std::filesystem::copy_file(newest, ckpts / "ckpt-99999999999999.bin");
  EXPECT_EQ(LatestCheckpointPath(dir), newest);
}

TEST(TrustTest, ASecondProcessCannotTrainIntoALockedRunDirectory) {
  const auto dir = testing::FreshDir("trust_lock");
  {
    const RunDirLock held(dir);
    // another process (fork) tries to take it
    const pid_t child = fork();
    if (child == 0) {
      try {
        const RunDirLock second(dir);
        _exit(0);
      } catch (const Error& e) {
        _exit(std::string(e.what()).find(fmt::format("in use by process {}", getpid() == 0 ? 0 : getppid())) !=
                      std::string::npos
                  ? 7
                  : 1);
      }
    }
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 7);
  }
  // released with its holder: the directory can be locked again
  EXPECT_NO_THROW(RunDirLock again(dir));
}

TEST(TrustTest, TrainRestartsARunStoppedBeforeItsFirstCheckpointOnly) {
  const auto dir = StoppedRun("trust_restart");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=1024", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  EXPECT_NE(ErrorOf([&] { Train(cfg, dir, {}); }).find("already holds a run with a checkpoint"), std::string::npos);
  std::filesystem::remove_all(dir / "checkpoints");
  EXPECT_TRUE(InspectRunDir(dir).restartable());
  EXPECT_EQ(Train(cfg, dir, {}).steps, 1024);
  EXPECT_FALSE(InspectRunDir(dir).restartable());
}

TEST(TrustTest, DivergenceStopsNamingTheQuantityAndKeepsTheLastCheckpoint) {
  const auto dir = testing::FreshDir("trust_nan");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Pendulum-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=4096", "checkpoint_every=1", "learning_rate=1e30",
            "max_grad_norm=1e30", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  const std::string why = ErrorOf([&] { Train(cfg, dir, {}); });
  EXPECT_NE(why.find("training diverged at update"), std::string::npos) << why;
  EXPECT_NE(why.find("is not finite"), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(dir / "model.bin"));
  // the checkpoints written before are intact
  if (!LatestCheckpointPath(dir).empty()) {
    EXPECT_NO_THROW(LoadLatestCheckpoint(dir));
  }
}

TEST(TrustTest, ANonFiniteModelIsNeitherEvaluatedNorExported) {
  const auto dir = testing::FreshDir("trust_nan_model");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=128", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  TrainedModel m = LoadTrainedModel(dir);
  m.policy->params()[3] = NAN;
  SaveModel(dir / "model.bin", *m.policy, *m.value, m.norm);
  EXPECT_NE(ErrorOf([&] { LoadTrainedModel(dir); }).find("non-finite policy parameter"), std::string::npos);
}

TEST(TrustTest, OverflowingPolicySizesAreRefused) {
  DeployedPolicy::Contents c;
  c.obs_dim = 4;
  c.num_actions = 2;
  c.discrete = true;
  c.widths = {4, 2147483647, 2};
  EXPECT_THROW(DeployedPolicy{c}, DeployError);
  c.widths = {4, 65536, 65536, 65536, 2};  // each width allowed, the total is not
  EXPECT_THROW(DeployedPolicy{c}, DeployError);
  c.widths = {4, 8, 2};
  c.params.assign(8 * 5 + 2 * 9, 0.0f);
  c.params[5] = INFINITY;
  EXPECT_THROW(DeployedPolicy{c}, DeployError);
  c.params[5] = 0.0f;
  EXPECT_NO_THROW(DeployedPolicy{c});
}

TEST(TrustTest, EmptyArraysRoundTripWithoutTouchingNullPointers) {
  ByteWriter w;
  w.PutArray(std::span<const float>());
  w.PutArray(std::span<const double>());
  ByteReader r(w.buf, "test");
  EXPECT_TRUE(r.GetVector<float>().empty());
  r.GetArray(std::span<double>(), "empty");
  r.ExpectEnd();
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Every leftover temporary file under dir.
std::vector<std::string> TmpFiles(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().extension() == ".tmp") out.push_back(e.path().string());
  return out;
}

// A full disk: a 256 KiB tmpfs (root only; skipped otherwise) holding a stopped run, filled up.
TEST(TrustTest, AFullDiskLosesNothingAndFailsLoudly) {
  const auto base = testing::FreshDir("trust_full");
  const auto mnt = base / "mnt";
  std::filesystem::create_directories(mnt);
  if (geteuid() != 0 || std::system(fmt::format("mount -t tmpfs -o size=256k tmpfs '{}' 2>/dev/null", mnt.string()).c_str()) != 0)
    GTEST_SKIP() << "needs root to mount a small filesystem";
  struct Unmount {
    std::filesystem::path m;
    ~Unmount() { std::system(fmt::format("umount '{}'", m.string()).c_str()); }
  } unmount{mnt};
  // a small stopped run, trained outside, copied onto the small filesystem
  const auto src = base / "src";
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=1024", "stop_at=512", "net_arch=8",
            "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  std::filesystem::create_directories(src);
  ASSERT_TRUE(Train(cfg, src, {}).stopped);
  const auto run = mnt / "run";
  std::filesystem::copy(src, run, std::filesystem::copy_options::recursive);
  Resume(src, {});  // src finishes (outside the small filesystem), for the export below
  const std::string config = testing::ReadFile(run / "config.yaml");
  const std::string checkpoint = testing::ReadFile(LatestCheckpointPath(run));
  // fill the filesystem to the last byte
  {
    std::ofstream fill(mnt / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (fill.write(block.data(), block.size())) {
    }
  }
  {
    std::ofstream fill(mnt / "filler2", std::ios::binary);
    while (fill.put('x')) {
    }
  }
  auto cli = [&](const std::string& args) {
    const std::string err = (base / "err.txt").string();
    const int status = std::system(fmt::format("'{}' {} >/dev/null 2>'{}'", RATCHET_CLI, args, err).c_str());
    return std::pair{WEXITSTATUS(status), testing::ReadFile(err)};
  };
  auto [code, err] = cli(fmt::format("resume --quiet '{}'", run.string()));
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("ratchet: error: cannot write run config"), std::string::npos) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_EQ(testing::ReadFile(run / "config.yaml"), config);  // not truncated
  EXPECT_EQ(testing::ReadFile(LatestCheckpointPath(run)), checkpoint);
  std::tie(code, err) = cli(fmt::format("export '{}' -o '{}'", src.string(), (mnt / "p.rpol").string()));
  EXPECT_EQ(code, 2) << err;
  EXPECT_NE(err.find("cannot write policy file"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(mnt / "p.rpol"));
  EXPECT_NE(ErrorOf([&] { WriteFileAtomically(run / "config.yaml", std::string(100000, 'y'), "run config"); })
                .find("cannot write run config"),
            std::string::npos);
  EXPECT_EQ(testing::ReadFile(run / "config.yaml"), config);
  EXPECT_TRUE(TmpFiles(mnt).empty()) << ::testing::PrintToString(TmpFiles(mnt));
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

std::filesystem::path WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST(TrustTest, ConfigFilesAreNeverIgnored) {
  const auto dir = testing::FreshDir("trust_config");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  // a run's config.yaml (flat) is applied as it is
  o.sets = {"n_steps=48", "batch_size=96", "learning_rate=lin_0.0007"};
  RunConfig original = ResolveRunConfig(o);
  WriteText(dir / "run.yaml", original.ToYaml());
  ResolveOptions from_file;
  from_file.algo = "ppo";
  from_file.env = "CartPole-v1";
  from_file.preset_path = (dir / "run.yaml").string();
  RunConfig loaded = ResolveRunConfig(from_file);
  EXPECT_EQ(loaded.ToYaml(), original.ToYaml());
  // ... but not for another algorithm or environment
  from_file.algo = "a2c";
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(from_file); }).find("the run config is for algo ppo"), std::string::npos);
  // a preset file without an entry for the env (nor default) is an error, not struct defaults
  from_file.algo = "ppo";
  from_file.preset_path = WriteText(dir / "preset.yaml", "Pendulum-v1:\n  n_steps: 64\n").string();
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(from_file); }).find("no entry for 'CartPole-v1', for another version of it or 'default'"),
            std::string::npos);
  // duplicate keys are errors, wherever they are
  from_file.preset_path = WriteText(dir / "dup.yaml", "CartPole-v1:\n  n_steps: 64\n  n_steps: 32\n").string();
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(from_file); }).find("key 'n_steps' appears twice"), std::string::npos);
  from_file.preset_path = WriteText(dir / "dup2.yaml", "algo: ppo\nenv: CartPole-v1\nseed: 1\nseed: 2\n").string();
  EXPECT_NE(ErrorOf([&] { ResolveRunConfig(from_file); }).find("key 'seed' appears twice in a config file (lines 3 and 4)"),
            std::string::npos);
}

TEST(TrustTest, YamlTypeErrorsNameTheFileAndKey) {
  const auto dir = testing::FreshDir("trust_yaml_types");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.sets = {"n_envs=2", "n_steps=64", "batch_size=64", "n_timesteps=128", "eval_episodes=1"};
  RunConfig cfg = ResolveRunConfig(o);
  Train(cfg, dir, {});
  std::string text = testing::ReadFile(dir / "config.yaml");
  text.replace(text.find("algo: ppo"), 9, "algo: [ppo]");
  WriteText(dir / "config.yaml", text);
  const std::string why = ErrorOf([&] { LoadRunConfig(dir); });
  EXPECT_NE(why.find("config.yaml: key 'algo' must be a single value"), std::string::npos) << why;
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Replaces the line `key: ...` of a run's config.yaml with `key: value`.
void EditConfigLine(const std::filesystem::path& dir, const std::string& key, const std::string& value) {
  std::string text = testing::ReadFile(dir / "config.yaml");
  const size_t at = text.find(key + ": ");
  ASSERT_NE(at, std::string::npos) << key;
  text.replace(at, text.find('\n', at) - at, key + ": " + value);
  WriteText(dir / "config.yaml", text);
}

TEST(TrustTest, ResumeRefusesAnEditedConfigNamingTheKey) {
  const auto dir = StoppedRun("trust_edit");
  EditConfigLine(dir, "gae_lambda", "0.5");
  const std::string why = ErrorOf([&] { Resume(dir, {}); });
  EXPECT_NE(why.find("was edited after the checkpoint: gae_lambda is 0.5 there but"), std::string::npos) << why;
}

TEST(TrustTest, ResumeTakesANewLabelAndNamesAChangedAlgorithm) {
  const auto dir = StoppedRun("trust_label");
  EditConfigLine(dir, "label", "renamed-run");
  EXPECT_NO_THROW(Resume(dir, {}));  // the label names the run; it changes no result
  const auto other = StoppedRun("trust_algo");
  EditConfigLine(other, "algo", "a2c");
  const std::string why = ErrorOf([&] { Resume(other, {}); });
  EXPECT_NE(why.find("was edited after the checkpoint: it says a2c on CartPole-v1, the checkpoint holds ppo"),
            std::string::npos) << why;
}

TEST(TrustTest, ALockHeldBeforeItsPidIsWrittenIsReportedWithThePidOrPlainly) {
  const auto dir = testing::FreshDir("trust_lock_race");
  const int fd = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // held, no pid yet: a process that just took it
  std::thread late([fd] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string pid = "4242\n";
    EXPECT_EQ(::pwrite(fd, pid.data(), pid.size(), 0), static_cast<ssize_t>(pid.size()));
  });
  const std::string why = ErrorOf([&] { RunDirLock second(dir); });
  late.join();
  EXPECT_NE(why.find("is in use by process 4242 (another train or resume)"), std::string::npos) << why;
  ASSERT_EQ(::ftruncate(fd, 0), 0);  // a holder that never writes its pid
  const std::string plain = ErrorOf([&] { RunDirLock second(dir); });
  EXPECT_NE(plain.find("is in use by another process"), std::string::npos) << plain;
  ::close(fd);
}

TEST(TrustTest, AZeroDimensionalSpaceSaysWhatIsWrong) {
  const std::string why = ErrorOf([] { Space::Box({}, {}); });
  EXPECT_NE(why.find("a Box space needs as many high bounds as low bounds, and at least one; got 0 low"),
            std::string::npos) << why;
  EXPECT_EQ(why.find("internal error"), std::string::npos) << why;
}

// The learning_rate column of progress.csv.
std::vector<double> LearningRates(const std::filesystem::path& dir) {
  std::vector<double> out;
  std::ifstream in(dir / "progress.csv");
  std::string line;
  std::getline(in, line);
  const auto& cols = ProgressColumns();
  const size_t c = std::find(cols.begin(), cols.end(), "learning_rate") - cols.begin();
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (size_t k = 0; k <= c; ++k) std::getline(ss, cell, ',');
    out.push_back(std::stod(cell));
  }
  return out;
}

TEST(TrustTest, ResumeWithMoreStepsContinuesSchedulesInsteadOfRestretchingThem) {
  const auto dir = StoppedRun("trust_steps");  // lin_0.001 over 1024 steps, stopped at 512
  const std::vector<double> before = LearningRates(dir);
  ASSERT_EQ(before.size(), 4u);
  Resume(dir, {}, 2048);
  const std::vector<double> lr = LearningRates(dir);
  ASSERT_EQ(lr.size(), 16u);
  for (size_t k = 1; k < lr.size(); ++k) EXPECT_LT(lr[k], lr[k - 1]) << "update " << k + 1;  // never jumps up
  EXPECT_NEAR(lr.back(), 0.0, 1e-12);  // and reaches 0 at the new total
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Sets RATCHET_MODEL_DIR for one scope.
struct ModelDir {
  explicit ModelDir(const std::filesystem::path& dir) { setenv("RATCHET_MODEL_DIR", dir.c_str(), 1); }
  ~ModelDir() { unsetenv("RATCHET_MODEL_DIR"); }
};

TEST(TrustTest, AReplacedMujocoModelIsCheckedAndRecorded) {
  const auto dir = testing::FreshDir("trust_models");
  const std::filesystem::path models = std::filesystem::path(RATCHET_SOURCE_DIR) / "src/env/mujoco/models";
  {
    const ModelDir use(dir);
    WriteText(dir / "half_cheetah.xml",
              "<mujoco><worldbody><body name=\"torso\"><freejoint/><geom size=\"0.1\"/></body></worldbody></mujoco>");
    const std::string why = ErrorOf([] { MakeEnv("HalfCheetah-v4"); });
    EXPECT_NE(why.find("does not fit the task"), std::string::npos) << why;
    // a fitting replacement trains, and the run records which file it was
    std::filesystem::copy_file(models / "half_cheetah.xml", dir / "half_cheetah.xml",
                               std::filesystem::copy_options::overwrite_existing);
    ResolveOptions o;
    o.algo = "ppo";
    o.env = "HalfCheetah-v4";
    o.sets = {"n_envs=1", "n_steps=64", "batch_size=64", "n_timesteps=64", "net_arch=8", "eval_episodes=0"};
    RunConfig cfg = ResolveRunConfig(o);
    std::filesystem::create_directories(dir / "run");
    Train(cfg, dir / "run", {});
    EXPECT_NE(testing::ReadFile(dir / "run" / "config.yaml").find("env_model: " + (dir / "half_cheetah.xml").string() +
                                                                  " fnv1a:"),
              std::string::npos);
    EXPECT_NO_THROW(LoadRunConfig(dir / "run"));
  }
  // without the replacement the run is refused, not evaluated on another model
  const std::string why = ErrorOf([&] { LoadRunConfig(dir / "run"); });
  EXPECT_NE(why.find("the run was trained on '"), std::string::npos) << why;
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

TEST(TrustTest, ImpossibleSavedStatisticsAreRefusedNamingTheField) {
  // a normaliser's count, then mean and variance arrays (8-byte length, then the values)
  ObsNormalizer norm(2, true, 10.0);
  auto restored = [](const ByteWriter& w) {
    ObsNormalizer back(2, true, 10.0);
    ByteReader r(w.buf, "checkpoint");
    return testing::ErrorOf([&] { LoadFrom(r, back); });
  };
  ByteWriter w;
  SaveTo(w, norm);
  const double minus_one = -1.0, minus_five = -5.0;
  ByteWriter var = w;
  std::memcpy(var.buf.data() + 8 + 8 + 16 + 8 + 8, &minus_one, 8);  // variance 1
  EXPECT_EQ(restored(var), "checkpoint is corrupt: normaliser variance 1 is -1, outside [0, 1e+30]");
  ByteWriter count = w;
  std::memcpy(count.buf.data(), &minus_five, 8);
  EXPECT_NE(restored(count).find("normaliser count is -5"), std::string::npos) << restored(count);
  EXPECT_EQ(restored(w), "no error");
  // Adam's step count
  Adam adam(3);
  ByteWriter aw;
  SaveTo(aw, adam);
  const int64_t minus = -1;
  std::memcpy(aw.buf.data(), &minus, 8);
  ByteReader ar(aw.buf, "checkpoint");
  EXPECT_NE(testing::ErrorOf([&] { LoadFrom(ar, adam); }).find("Adam step count is -1"), std::string::npos);
}

TEST(TrustTest, ANonFiniteOptimiserStateIsNamed) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  RunConfig cfg = ResolveRunConfig(o);
  const EnvSpec spec = EnvSpecOf("CartPole-v1");
  auto algo = FindAlgorithm("ppo").make(*cfg.algo, spec, cfg.train, Rng(1), nullptr);
  EXPECT_EQ(algo->NonFiniteState(), "");
  ByteWriter w;
  SaveTo(w, *algo);
  // parameters (two arrays), the generator, then the policy's Adam: step count, first moment
  const size_t np = algo->policy().params().size(), nv = algo->value().params().size();
  const size_t m_at = (8 + 4 * np) + (8 + 4 * nv) + 32 + sizeof(int64_t) + 8;
  const float nan = NAN;
  std::memcpy(w.buf.data() + m_at + 4 * 5, &nan, 4);
  ByteReader r(w.buf, "state");
  // refused as it is read, naming the field (a checkpoint like it is corrupt, not a divergence)
  EXPECT_EQ(testing::ErrorOf([&] { LoadFrom(r, *algo); }), "state is corrupt: Adam first moment 5 is nan, outside [-1e+30, 1e+30]");
}

}  // namespace
}  // namespace ratchet
