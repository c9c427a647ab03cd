// Runs the real `ratchet` binary: bad input must give exit code 2 and one line on stderr.
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace {

using ratchet::testing::Lines;
using ratchet::testing::RunCli;
using Result = ratchet::testing::CliResult;

struct BadCase {
  const char* name;
  const char* args;
  const char* expect;  // a fragment of the one-line message
};

class CliBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CliBadInputTest, ExitsTwoWithOneClearLine) {
  const auto dir = ratchet::testing::FreshDir(std::string("cli_bad_") + GetParam().name);
  const Result r = RunCli(std::string(GetParam().args) + " --run-dir " + (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(GetParam().expect), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "run"));  // nothing is written on bad input
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliBadInputTest,
    ::testing::Values(
        BadCase{"unknown_env", "train --env Foo-v0", "unknown environment 'Foo-v0'"},
        BadCase{"unknown_algo", "train --algo dqn", "unknown algorithm 'dqn'"},
        BadCase{"malformed_set", "train --set n_epochs", "--set expects key=value"},
        BadCase{"unknown_key", "train --set learning_rat=1", "unknown config key 'learning_rat'"},
        BadCase{"bad_value", "train --set n_epochs=abc", "expected an integer"},
        BadCase{"negative_steps", "train --steps -5", "--steps must be a positive integer"},
        BadCase{"text_steps", "train --steps lots", "--steps must be a positive integer, got 'lots'"},
        BadCase{"zero_steps", "train --steps 0", "--steps must be a positive integer"},
        BadCase{"bad_seed", "train --seed x1", "--seed must be a non-negative integer"},
        BadCase{"missing_preset", "train --config /nonexistent.yaml", "cannot read preset file"},
        BadCase{"unknown_flag", "train --stepz 5", "stepz"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CliTest, EvalOfMissingOrBrokenRunDirectory) {
  Result r = RunCli("eval /nonexistent/run_dir");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;

  const auto dir = ratchet::testing::FreshDir("cli_eval_broken");
  r = RunCli("eval " + dir.string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot read run config"), std::string::npos) << r.err;

  r = RunCli("eval " + dir.string() + " --episodes -3");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--episodes must be a positive integer"), std::string::npos) << r.err;
  for (const char* huge : {"2147483648", "1e12"}) {  // once a crash (the count cast to int)
    r = RunCli("eval " + dir.string() + " --episodes " + huge);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("--episodes must be at most 1e6"), std::string::npos) << r.err;
  }
}

TEST(CliTest, TrainThenEvalAndRefuseToOverwrite) {
  const auto dir = ratchet::testing::FreshDir("cli_train");
  const std::string run = (dir / "run").string();
  Result r = RunCli("train --steps 2048 --quiet --run-dir " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("trained 2048 steps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deterministic evaluation over 10 episodes"), std::string::npos) << r.out;
  for (const char* f : {"config.yaml", "progress.csv", "model.bin"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;

  r = RunCli("eval " + run + " --episodes 3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("deterministic"), std::string::npos);
  EXPECT_NE(r.out.find("stochastic"), std::string::npos);
  r = RunCli("eval " + run + " --episodes 2 --stochastic --seed 7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("deterministic"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seeds 7..8"), std::string::npos) << r.out;
  r = RunCli("eval " + run + " --episodes 2 --deterministic");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("stochastic"), std::string::npos) << r.out;
  r = RunCli("eval " + run + " --deterministic --stochastic");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;

  // a GIF of one deterministic episode
  r = RunCli("eval " + run + " --episodes 1 --gif-frames 20 --gif-size 64 --gif " + (dir / "x.gif").string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "x.gif"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.gif.tmp"));
  r = RunCli("eval " + run + " --episodes 1 --gif-size 5 --gif " + (dir / "y.gif").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;

  // export to a deployable policy file
  r = RunCli("export " + run + " -o " + (dir / "p.rpol").string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "p.rpol"));
  r = RunCli("export /nonexistent/run -o " + (dir / "q.rpol").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "q.rpol"));

  // a second train into the same directory is refused and the first run is untouched
  const auto before = std::filesystem::last_write_time(dir / "run" / "model.bin");
  r = RunCli("train --steps 2048 --quiet --run-dir " + run);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("already holds a run"), std::string::npos) << r.err;
  EXPECT_EQ(std::filesystem::last_write_time(dir / "run" / "model.bin"), before);

  // a corrupt model is reported, not crashed on
  std::ofstream(dir / "run" / "model.bin", std::ios::binary) << "garbage";
  r = RunCli("eval " + run);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1);
  EXPECT_NE(r.err.find("model"), std::string::npos) << r.err;
}

TEST(CliTest, ResumeErrorsAreOneLine) {
  Result r = RunCli("resume /nonexistent/run");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  const auto dir = ratchet::testing::FreshDir("cli_resume");
  r = RunCli("train --steps 2048 --quiet --set stop_at=1024 --run-dir " + (dir / "run").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ratchet resume"), std::string::npos) << r.out;
  r = RunCli("resume " + (dir / "run").string() + " --steps abc");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--steps must be a positive integer"), std::string::npos) << r.err;
  r = RunCli("resume " + (dir / "run").string() + " --quiet");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("trained 2048 steps"), std::string::npos) << r.out;
}

TEST(CliTest, ListsEnvsAndAlgos) {
  Result r = RunCli("envs");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("CartPole-v0"), std::string::npos);
  EXPECT_NE(r.out.find("CartPole-v1"), std::string::npos);
  r = RunCli("algos");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("ppo"), std::string::npos);
  r = RunCli("");
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunCli("bogus");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown command 'bogus'"), std::string::npos) << r.err;
  r = RunCli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("train"), std::string::npos);
}

TEST(CliTest, VersionNamesTheBuild) {
  const Result r = RunCli("--version");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("ratchet 0.1.0\n")) << r.out;
  for (const char* part : {"build: portable x86-64-v3", "-ffp-contract=off", "Eigen 3.4", "MuJoCo 2.2.2", "glibc "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in " << r.out;
  // the Debian packages it was built against, with versions
  if (std::filesystem::exists("/usr/bin/dpkg-query")) {
    EXPECT_NE(r.out.find("libeigen3-dev 3.4"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("libmujoco-dev 2.2.2"), std::string::npos) << r.out;
  }
}

// `ratchet doctor` passes here (GoldenBitsTest checks the same bits), and fails with exit code 1,
// naming the runs, when glibc is told to hide FMA and AVX2 so that its libm runs other variants
// of sin, cos and exp: MuJoCo's physics then gives other bits, as another libm would.
TEST(CliTest, DoctorChecksTheGoldenBits) {
  Result r = RunCli("doctor --algo npg --algo ppo");  // the whole table: GoldenBitsTest
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  if (r.out.find("not checked") != std::string::npos) GTEST_SKIP() << r.out;
  EXPECT_NE(r.out.find("this machine: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(Ratchet's fixed sizes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("golden bits: 4 short runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("npg     HalfCheetah-v4  same bits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("this machine reproduces the golden bits"), std::string::npos) << r.out;

  const std::string cmd_env = "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA";
  const auto dir = ratchet::testing::FreshDir("cli_doctor_libm");
  const std::string cmd = cmd_env + " " + std::string(RATCHET_CLI) + " doctor --algo ppo >" + (dir / "out").string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string out = ratchet::testing::ReadFile(dir / "out");
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 1) << out;
  EXPECT_NE(out.find("GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA"), std::string::npos) << out;
  EXPECT_NE(out.find("HalfCheetah-v4  DIFFERENT BITS"), std::string::npos) << out;
  EXPECT_NE(out.find("does NOT reproduce"), std::string::npos) << out;
}

TEST(CliTest, DoctorNamesAnUnknownAlgorithm) {
  const Result r = RunCli("doctor --algo ppo2");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unknown algorithm 'ppo2'"), std::string::npos) << r.err;
}

TEST(CliTest, ConfigPrintsTheResolvedKeys) {
  Result r = RunCli("config --set n_epochs=7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("n_epochs: 7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("learning_rate: lin_0.001"), std::string::npos) << r.out;
  r = RunCli("config --set n_epochs=0");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("n_epochs must be at least 1"), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(CliTest, SweepSkipsFinishedResumesInterruptedThenTableAndPlot) {
  const auto dir = ratchet::testing::FreshDir("cli_sweep");
  const std::string out = (dir / "out").string();
  // an interrupted run already in the sweep's directory
  Result r = RunCli("train --algo ppo --env CartPole-v1 --seed 1 --steps 4096 --set threads=1 --set stop_at=2048 "
                    "--quiet --run-dir " + out + "/ppo-CartPole-v1-s1");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_NE(r.out.find("stopped after 2048 steps (8 updates): stop_at: 2048 steps reached; checkpoint written"),
            std::string::npos) << r.out;

  const std::string sweep = "sweep --algo ppo,a2c --env CartPole-v1 --seeds 0-1 --steps 4096 --jobs 2 --out " + out;
  r = RunCli(sweep);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("4 runs in " + out + ": 3 new, 1 to resume"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 trained, 0 skipped, 0 failed"), std::string::npos) << r.out;
  for (const char* run : {"ppo-CartPole-v1-s0", "ppo-CartPole-v1-s1", "a2c-CartPole-v1-s0", "a2c-CartPole-v1-s1"})
    EXPECT_TRUE(std::filesystem::exists(dir / "out" / run / "model.bin")) << run;

  // the resumed run equals one trained in one go
  r = RunCli("train --algo ppo --env CartPole-v1 --seed 1 --steps 4096 --quiet --run-dir " + (dir / "ref").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ratchet::testing::ReadFile(dir / "ref" / "model.bin"), ratchet::testing::ReadFile(dir / "out" / "ppo-CartPole-v1-s1" / "model.bin"));
  EXPECT_EQ(ratchet::testing::CsvWithoutWallTime(dir / "ref" / "progress.csv"),
            ratchet::testing::CsvWithoutWallTime(dir / "out" / "ppo-CartPole-v1-s1" / "progress.csv"));

  // a second sweep skips everything
  const auto before = std::filesystem::last_write_time(dir / "out" / "a2c-CartPole-v1-s0" / "model.bin");
  r = RunCli(sweep);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 finished (skipped)"), std::string::npos) << r.out;
  EXPECT_EQ(std::filesystem::last_write_time(dir / "out" / "a2c-CartPole-v1-s0" / "model.bin"), before);

  r = RunCli("table " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("| ppo | CartPole-v1 | 2 | 4096 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| a2c | CartPole-v1 | 2 |"), std::string::npos) << r.out;

  r = RunCli("plot " + out + " -o " + (dir / "c.png").string() + " --band ci --runs --title T");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "c.png"));
  r = RunCli("plot " + out + " -o " + (dir / "c.txt").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  r = RunCli("plot " + (dir / "nothing").string() + " -o " + (dir / "d.png").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  r = RunCli("plot " + out + " -o " + (dir / "d.png").string() + " --band iqr");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
}

TEST(CliTest, SweepBadInputIsOneLineAndRunsNothing) {
  const auto dir = ratchet::testing::FreshDir("cli_sweep_bad");
  const std::string out = " --out " + (dir / "out").string();
  for (const char* args : {"sweep --algo ppo --env CartPole-v1 --seeds 3-1", "sweep --algo ppo --env Nope-v0",
                           "sweep --algo ppo,dqn --env CartPole-v1", "sweep --algo ppo --env CartPole-v1 --jobs 0",
                           "sweep --algo ppo --env CartPole-v1 --set gamma=2"}) {
    const Result r = RunCli(args + out);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << args << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "out")) << args;
  }
}

}  // namespace

namespace {

// Starts `ratchet train` on a long CartPole run into dir; returns its pid once it has logged an update.
pid_t StartLongTraining(const std::filesystem::path& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string run = dir.string();
    freopen((dir.string() + ".out").c_str(), "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(RATCHET_CLI, RATCHET_CLI, "train", "--algo", "ppo", "--env", "CartPole-v1", "--steps", "50000000",
          "--quiet", "--run-dir", run.c_str(), "--set", "checkpoint_every=0", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int k = 0; k < 600; ++k) {
    if (Lines(ratchet::testing::ReadFile(dir / "progress.csv")) >= 3) break;
    usleep(50000);
  }
  return pid;
}

TEST(CliTest, HangupStopsWithACheckpointLikeCtrlC) {
  const auto base = ratchet::testing::FreshDir("cli_sighup");
  const auto dir = base / "run";
  const pid_t pid = StartLongTraining(dir);
  kill(pid, SIGHUP);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGHUP);
  EXPECT_NE(ratchet::testing::ReadFile(dir.string() + ".out").find("checkpoint written"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoints"));
  // the stopped run resumes (its lock went with the process)
  const Result r = RunCli("resume --quiet --steps 20000 " + dir.string());
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliTest, ASecondSignalEndsTheProcessAtOnce) {
  const auto base = ratchet::testing::FreshDir("cli_sigint2");
  const pid_t pid = StartLongTraining(base / "run");
  kill(pid, SIGTERM);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  // either the first signal's checkpoint-and-exit won the race, or the second ended it
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM));
}

TEST(CliTest, ASecondTrainIntoARunInUseIsRefusedNamingThePid) {
  const auto base = ratchet::testing::FreshDir("cli_locked");
  const auto dir = base / "run";
  const pid_t pid = StartLongTraining(dir);
  std::filesystem::remove_all(dir / "checkpoints");  // none yet: the directory looks restartable
  const Result r = RunCli("resume --quiet " + dir.string());
  const Result t = RunCli("train --quiet --run-dir " + dir.string());
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(t.code, 2);
  EXPECT_EQ(Lines(t.err), 1) << t.err;
  EXPECT_NE(t.err.find(fmt::format("in use by process {}", pid)), std::string::npos) << t.err;
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("in use by process"), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(CliTest, SmallThingsAUserTripsOver) {
  const auto base = ratchet::testing::FreshDir("cli_small");
  const std::string run = (base / "run").string();
  // --steps takes the same numbers as n_timesteps
  Result r = RunCli("train --quiet --steps 1e3 --set n_envs=2 --set n_steps=64 --set batch_size=64 --run-dir " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("trained 896 steps"), std::string::npos) << r.out;
  // the configuration of an existing run, with where each value comes from
  r = RunCli("config " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("n_steps: 64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[" + run + "/config.yaml]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[preset or default]"), std::string::npos) << r.out;
  // GIF paths are checked before any episode runs
  r = RunCli("eval " + run + " --gif " + (base / "x.png").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("path ending in .gif"), std::string::npos) << r.err;
  r = RunCli("eval " + run + " --gif /nonexistent/dir/x.gif");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot write into '/nonexistent/dir'"), std::string::npos) << r.err;
  r = RunCli("eval " + run + " --stochastic --gif " + (base / "x.gif").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot be combined with --stochastic"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");  // refused before evaluating
  // export into a directory leaves no stray temporary file
  r = RunCli("export " + run + " -o " + base.string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(base.string() + ".tmp"));
  // a sweep whose every run conflicts has done nothing: exit 2
  const std::string sweep = (base / "sweep").string();
  ASSERT_EQ(RunCli("sweep --algo ppo --env CartPole-v1 --seeds 1 --steps 512 --jobs 1 --set n_envs=2 --set n_steps=64 "
                   "--set batch_size=64 --out " + sweep).code, 0);
  r = RunCli("sweep --algo ppo --env CartPole-v1 --seeds 1 --steps 512 --jobs 1 --set n_envs=2 --set n_steps=128 "
             "--set batch_size=64 --out " + sweep);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("every run of the sweep conflicts"), std::string::npos) << r.err;
}

}  // namespace
