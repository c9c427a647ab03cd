// MPI: the CLI under mpirun (oversubscribed on loopback) must give, for any rank count, the bits
// of one process; resume under another rank count; stop the whole job on a fault; and farm or
// shard a sweep into exactly the runs of a local sweep.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "core/comm_internal.h"
#include "ratchet/comm.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using ratchet::testing::CsvWithoutWallTime;
using ratchet::testing::FreshDir;
using ratchet::testing::ReadFile;

struct Result {
  int code;
  std::string out, err;
};

// Runs `ratchet args` on `ranks` MPI ranks (ranks 0: plainly, without mpirun).
Result Ratchet(int ranks, const std::string& args, const fs::path& io) {
  std::string cmd;
#ifdef RATCHET_MPIRUN
  if (ranks > 0)
    cmd = fmt::format("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
                      "{} -np {} --oversubscribe ", RATCHET_MPIRUN, ranks);
#endif
  cmd += std::string(RATCHET_CLI) + " " + args + " >" + (io / "out").string() + " 2>" + (io / "err").string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(io / "out"), ReadFile(io / "err")};
}

#ifdef RATCHET_MPIRUN
#define REQUIRE_MPI()
#else
#define REQUIRE_MPI() GTEST_SKIP() << "built without MPI or without mpirun"
#endif

TEST(CommTest, OneProcessIsRankZeroOfOne) {
  ratchet::Comm& self = ratchet::Self();
  EXPECT_EQ(self.rank(), 0);
  EXPECT_EQ(self.size(), 1);
  const std::vector<uint8_t> bytes = {1, 2, 3};
  EXPECT_EQ(ratchet::Broadcast(self, bytes), bytes);
  EXPECT_EQ(self.AllGather(bytes), std::vector<std::vector<uint8_t>>{bytes});
  EXPECT_FALSE(self.TryReceive().has_value());
  // alone, Agree lets the exception through as it is
  EXPECT_THROW(ratchet::Agree(self, [] { throw ratchet::Error("x"); }), ratchet::Error);
  EXPECT_THROW(ratchet::Agree(self, [] { throw ratchet::InternalError("y"); }), ratchet::InternalError);
}

TEST(CommTest, ABuildWithoutMpiNamesTheProblemUnderMpirun) {
  EXPECT_EQ(ratchet::MpiUnavailable(0), "");
  EXPECT_EQ(ratchet::MpiUnavailable(1), "");
  const std::string msg = ratchet::MpiUnavailable(4);
  EXPECT_NE(msg.find("4 ranks"), std::string::npos) << msg;
  EXPECT_NE(msg.find("built without MPI"), std::string::npos) << msg;
  EXPECT_NE(msg.find("RATCHET_MPI=ON"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

struct Case {
  const char* algo;
  const char* env;
  const char* sets;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.algo << " on " << c.env << " " << c.sets; }

class MpiBitsTest : public ::testing::TestWithParam<Case> {};

// K = 1, 2 and 4 ranks: the same model.bin, checkpoint and progress.csv (wall time excepted) as
// one process with the same n_envs, normalisers on.
TEST_P(MpiBitsTest, AnyRankCountGivesTheBitsOfOneProcess) {
  REQUIRE_MPI();
  const Case& c = GetParam();
  const fs::path dir = FreshDir(fmt::format("mpi_bits_{}_{}", c.algo, c.env));
  const std::string args = fmt::format("train --algo {} --env {} --seed 5 --quiet --set n_envs=4 {}", c.algo, c.env,
                                       c.sets);
  const Result one = Ratchet(0, args + " --run-dir " + (dir / "k0").string(), dir);
  ASSERT_EQ(one.code, 0) << one.err;
  for (int k : {1, 2, 4}) {
    const fs::path run = dir / fmt::format("k{}", k);
    const Result r = Ratchet(k, args + " --run-dir " + run.string(), dir);
    ASSERT_EQ(r.code, 0) << k << " ranks: " << r.err;
    EXPECT_EQ(ReadFile(run / "model.bin"), ReadFile(dir / "k0" / "model.bin")) << k << " ranks";
    EXPECT_EQ(CsvWithoutWallTime(run / "progress.csv"), CsvWithoutWallTime(dir / "k0" / "progress.csv")) << k;
    EXPECT_EQ(ReadFile(run / "eval.json"), ReadFile(dir / "k0" / "eval.json")) << k;
    EXPECT_FALSE(fs::exists(run / "model.bin.tmp"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, MpiBitsTest,
    ::testing::Values(
        Case{"ppo", "CartPole-v1", "--steps 1536 --set n_steps=128 --set normalize_obs=true"},
        Case{"trpo", "CartPole-v1", "--steps 1536 --set n_steps=128 --set normalize_obs=true"},
        Case{"acktr", "CartPole-v1", "--steps 1536 --set n_steps=128 --set normalize_obs=true"},
        Case{"a2c", "CartPole-v1", "--steps 1536 --set n_steps=128 --set normalize_obs=true"},
        Case{"vpg", "CartPole-v1", "--steps 1536 --set n_steps=128"},
        Case{"npg", "CartPole-v1", "--steps 1536 --set n_steps=128"},
        Case{"ppo-kl", "CartPole-v1", "--steps 1536 --set n_steps=128"},
        Case{"ppo", "Pendulum-v1", "--steps 1536 --set n_steps=128 --set batch_size=64 --set normalize_reward=true"},
        Case{"trpo", "Pendulum-v1", "--steps 1536 --set n_steps=128 --set normalize_reward=true"},
        Case{"acktr", "Pendulum-v1", "--steps 1536 --set n_steps=128 --set normalize_reward=true"},
        Case{"a2c", "Pendulum-v1", "--steps 1536 --set n_steps=128 --set normalize_reward=true"},
        Case{"ppo", "Hopper-v4", "--steps 1536 --set n_steps=128 --set batch_size=64 --set n_epochs=2"},
        // the minibatch gradient divided over the ranks
        Case{"ppo", "HalfCheetah-v4", "--steps 1536 --set n_steps=128 --set batch_size=64 --set grad_chunks=4 "
                                      "--set normalize_obs=true --set n_epochs=2"},
        Case{"ppo-kl", "Pendulum-v1", "--steps 1536 --set n_steps=128 --set batch_size=96 --set grad_chunks=3"},
        Case{"trpo", "Hopper-v4", "--steps 1536 --set n_steps=128 --set grad_chunks=4 --set normalize_obs=true"},
        Case{"npg", "CartPole-v1", "--steps 1536 --set n_steps=128 --set grad_chunks=3"}),
    [](const auto& info) {
      std::string name = std::string(info.param.algo) + "_" + info.param.env;
      if (std::string(info.param.sets).find("grad_chunks") != std::string::npos) name += "_divided_update";
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

// Stop under K ranks, resume under another count: bit-identical to the run that never stopped.
TEST(MpiResumeTest, ResumeUnderAnotherRankCountIsBitIdentical) {
  REQUIRE_MPI();
  const fs::path dir = FreshDir("mpi_resume");
  const std::string args = "train --algo ppo --env Pendulum-v1 --seed 2 --quiet --steps 2048 --set n_envs=4 "
                           "--set n_steps=128 --set batch_size=64 --set normalize_obs=true --set normalize_reward=true";
  ASSERT_EQ(Ratchet(0, args + " --run-dir " + (dir / "whole").string(), dir).code, 0);
  for (const auto& [first, then] : {std::pair{2, 0}, std::pair{0, 4}, std::pair{4, 2}}) {
    const fs::path run = dir / fmt::format("stop{}_resume{}", first, then);
    const Result a = Ratchet(first, args + " --set stop_at=1024 --run-dir " + run.string(), dir);
    ASSERT_EQ(a.code, 0) << a.err;
    ASSERT_FALSE(fs::exists(run / "model.bin"));
    const Result b = Ratchet(then, "resume --quiet " + run.string(), dir);
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(ReadFile(run / "model.bin"), ReadFile(dir / "whole" / "model.bin")) << first << " -> " << then;
    EXPECT_EQ(CsvWithoutWallTime(run / "progress.csv"), CsvWithoutWallTime(dir / "whole" / "progress.csv"));
  }
}

TEST(MpiFaultTest, TooFewCopiesForTheRanksIsOneLine) {
  REQUIRE_MPI();
  const fs::path dir = FreshDir("mpi_few");
  const Result r = Ratchet(4, "train --algo ppo --quiet --set n_envs=2 --set n_steps=128 --run-dir " + (dir / "run").string(), dir);
  EXPECT_EQ(r.code, 2);
  const std::string line = "ratchet: error: n_envs (2) must be at least the number of MPI ranks (4)";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  // said once, by rank 0
  EXPECT_EQ(r.err.find(line), r.err.rfind(line)) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run" / "config.yaml"));
}

// The pid of rank `rank` among the children of mpirun `parent` (0 when not found yet).
pid_t RankPid(pid_t parent, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    const std::string env = ReadFile(e.path() / "environ");
    if (env.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

#ifdef RATCHET_MPIRUN
// A long PPO CartPole training on two ranks in the background, writing checkpoints every 3
// updates into `run`, its output in dir/out; returns mpirun's pid.
pid_t StartLongTraining(const fs::path& dir, const fs::path& run) {
  const pid_t mpirun = fork();
  if (mpirun == 0) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    const std::string out = (dir / "out").string();
    freopen(out.c_str(), "w", stdout);
    freopen(out.c_str(), "a", stderr);
    execl(RATCHET_MPIRUN, RATCHET_MPIRUN, "-np", "2", "--oversubscribe", RATCHET_CLI, "train", "--algo", "ppo",
          "--env", "CartPole-v1", "--steps", "100000000", "--quiet", "--set", "n_envs=4", "--set", "n_steps=64",
          "--set", "batch_size=64", "--set", "checkpoint_every=3", "--run-dir", run.c_str(), nullptr);
    _exit(127);
  }
  return mpirun;
}

// Waits (up to 60 s) for the first checkpoint of `run`.
bool AwaitCheckpoint(const fs::path& dir, const fs::path& run) {
  const auto start = std::chrono::steady_clock::now();
  while (!fs::exists(run / "checkpoints") || fs::is_empty(run / "checkpoints")) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(60)) {
      ADD_FAILURE() << "no checkpoint within 60 s: " << ReadFile(dir / "out");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Waits (up to 60 s) for `pid` to end; its wait status, or -1 after killing it.
int AwaitExit(pid_t pid) {
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(60)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status;
}

// The newest checkpoint's update number (-1 when none).
int LatestUpdate(const fs::path& run) {
  std::string latest;
  for (const auto& e : fs::directory_iterator(run / "checkpoints")) latest = std::max(latest, e.path().filename().string());
  return latest.empty() ? -1 : std::stoi(latest.substr(5, 8));
}
#endif

// A rank killed with SIGKILL: every rank is gone within a bounded time, the job exits non-zero,
// and the newest checkpoint still resumes.
TEST(MpiFaultTest, AKilledRankEndsTheJobAndKeepsTheCheckpoint) {
  REQUIRE_MPI();
#ifdef RATCHET_MPIRUN
  const fs::path dir = FreshDir("mpi_kill");
  const fs::path run = dir / "run";
  const pid_t mpirun = StartLongTraining(dir, run);
  ASSERT_GT(mpirun, 0);
  using Clock = std::chrono::steady_clock;
  // wait for a checkpoint, then kill rank 1
  const auto start = Clock::now();
  ASSERT_TRUE(AwaitCheckpoint(dir, run));
  pid_t victim = 0;
  while ((victim = RankPid(mpirun, 1)) == 0) {
    ASSERT_LT(Clock::now() - start, std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const pid_t survivor = RankPid(mpirun, 0);
  ASSERT_GT(survivor, 0);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  const auto killed = Clock::now();
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(mpirun, &status, WNOHANG);
    if (done == mpirun) break;
    if (Clock::now() - killed > std::chrono::seconds(30)) {
      kill(mpirun, SIGKILL);
      kill(survivor, SIGKILL);
      waitpid(mpirun, &status, 0);
      FAIL() << "the job did not end within 30 s of a rank's death";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // rank 0 goes too (a zombie waiting for its reaper counts as gone)
  auto alive = [&] {
    const std::string stat = ReadFile(fmt::format("/proc/{}/stat", survivor));
    const size_t close = stat.rfind(')');
    return close != std::string::npos && stat.substr(close + 2, 1) != "Z";
  };
  while (alive()) {
    ASSERT_LT(Clock::now() - killed, std::chrono::seconds(30)) << "rank 0 outlived the job";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // the newest checkpoint is whole: a one-process resume continues from it
  const int update = LatestUpdate(run);
  ASSERT_GE(update, 0);
  const Result ok = Ratchet(0, fmt::format("resume --quiet --steps {} {}", (update + 1) * 256, run.string()), dir);
  EXPECT_EQ(ok.code, 0) << ok.err;  // one update more trains and finishes
  EXPECT_TRUE(fs::exists(run / "model.bin"));
#endif
}

// Ctrl-C under mpirun. SIGINT to the ranks (a scheduler's signal to the job's processes): every
// rank finishes the update, the checkpoint is written, each rank exits 130, and so does mpirun.
// SIGINT to mpirun itself (Ctrl-C in its terminal): Open MPI passes the signal on and the ranks
// stop the same way, but mpirun reports its own code for an interrupted launch (1); the run
// resumes either way.
TEST(MpiFaultTest, ASignalStopsEveryRankWithACheckpoint) {
  REQUIRE_MPI();
#ifdef RATCHET_MPIRUN
  for (const bool to_ranks : {true, false}) {
    SCOPED_TRACE(to_ranks ? "SIGINT to the ranks" : "SIGINT to mpirun");
    const fs::path dir = FreshDir(to_ranks ? "mpi_sigint_ranks" : "mpi_sigint_mpirun");
    const fs::path run = dir / "run";
    const pid_t mpirun = StartLongTraining(dir, run);
    ASSERT_GT(mpirun, 0);
    ASSERT_TRUE(AwaitCheckpoint(dir, run));
    if (to_ranks) {
      const pid_t r0 = RankPid(mpirun, 0), r1 = RankPid(mpirun, 1);
      ASSERT_GT(r0, 0);
      ASSERT_GT(r1, 0);
      ASSERT_EQ(kill(r0, SIGINT), 0);
      ASSERT_EQ(kill(r1, SIGINT), 0);
    } else {
      ASSERT_EQ(kill(mpirun, SIGINT), 0);
    }
    const int status = AwaitExit(mpirun);
    ASSERT_NE(status, -1) << "the job did not end within 60 s of the signal";
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), to_ranks ? 130 : 1) << ReadFile(dir / "out");
    EXPECT_NE(ReadFile(dir / "out").find("checkpoint written; continue with `ratchet resume"), std::string::npos)
        << ReadFile(dir / "out");
    const int update = LatestUpdate(run);
    ASSERT_GE(update, 1);
    const Result ok = Ratchet(0, fmt::format("resume --quiet --steps {} {}", (update + 1) * 256, run.string()), dir);
    EXPECT_EQ(ok.code, 0) << ok.err;
    EXPECT_TRUE(fs::exists(run / "model.bin"));
  }
#endif
}

// An error on one rank only (its environment throws): every rank stops within a bounded time
// with one message naming the rank, exit code 2.
TEST(MpiFaultTest, AnErrorOnOneRankStopsEveryRankWithOneMessage) {
  REQUIRE_MPI();
  const fs::path dir = FreshDir("mpi_rank_error");
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Ratchet(2, fmt::format("--plugin {} train --algo ppo --env FailsOnRankOne-v0 --quiet --steps 100000 "
                                      "--set n_envs=2 --set n_steps=64 --set batch_size=64 --run-dir {}",
                                      RATCHET_TEST_RANK_FAULT_PLUGIN, (dir / "run").string()),
                       dir);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
  EXPECT_EQ(r.code, 2) << r.err;
  const std::string line = "ratchet: error: rank 1: the simulator lost its licence server\n";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ratchet: error"), r.err.rfind("ratchet: error")) << "one message: " << r.err;
}

// Ranks started with different command lines (mpirun's a : b form) must not train a mixture:
// the job ends at once, on every rank, with one line.
TEST(MpiFaultTest, RanksWithDifferentConfigurationsEndTheJobWithOneLine) {
  REQUIRE_MPI();
#ifdef RATCHET_MPIRUN
  const fs::path dir = FreshDir("mpi_disagree");
  const std::string common = fmt::format("train --algo ppo --env CartPole-v1 --quiet --steps 2048 --set n_envs=2 --set n_steps=64 --set batch_size=64 "
                                         "--run-dir {}", (dir / "run").string());
  // rank 0: seed 4; rank 1: another seed, or seed 4 with one setting changed
  for (const std::string& other : {std::string("--seed 9"), std::string("--seed 4 --set learning_rate=0.01"),
                                   std::string("--seed 4 --set net_arch=[8]")}) {
    const std::string full = fmt::format(
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 timeout 120 "
        "{0} --oversubscribe -np 1 {1} {2} --seed 4 : -np 1 {1} {2} {3} >{4} 2>{5}",
        RATCHET_MPIRUN, RATCHET_CLI, common, other, (dir / "out").string(), (dir / "err").string());
    fs::remove_all(dir / "run");
    const int status = std::system(full.c_str());
    const std::string err = ReadFile(dir / "err");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << other << ": " << err;
    EXPECT_NE(err.find("rank 1 resolved another configuration than rank 0"), std::string::npos) << other << ": " << err;
    EXPECT_EQ(err.find("ratchet: error"), err.rfind("ratchet: error")) << "one message: " << err;
    EXPECT_FALSE(fs::exists(dir / "run" / "model.bin"));
  }
#endif
}

// `mpirun ratchet sweep` trains what a local sweep trains, bit for bit; --shard I/K splits the
// grid into K disjoint parts that together are the grid, and a finished grid is skipped.
TEST(MpiSweepTest, FarmedAndShardedSweepsEqualALocalOne) {
  REQUIRE_MPI();
  const fs::path dir = FreshDir("mpi_sweep");
  const std::string grid = "sweep --algo ppo,a2c --env CartPole-v1,Pendulum-v1 --seeds 1-2 --steps 1024 "
                           "--set n_envs=2 --set n_steps=128";
  const Result local = Ratchet(0, grid + " --jobs 2 --out " + (dir / "local").string(), dir);
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  const Result farmed = Ratchet(3, grid + " --out " + (dir / "farmed").string(), dir);
  ASSERT_EQ(farmed.code, 0) << farmed.out << farmed.err;
  EXPECT_NE(farmed.out.find("sweep: 8 trained, 0 skipped, 0 failed"), std::string::npos) << farmed.out;
  int runs = 0;
  for (const auto& e : fs::directory_iterator(dir / "local")) {
    if (e.path().filename() == "logs") continue;
    ++runs;
    const fs::path twin = dir / "farmed" / e.path().filename();
    ASSERT_TRUE(fs::exists(twin / "model.bin")) << twin;
    EXPECT_EQ(ReadFile(twin / "model.bin"), ReadFile(e.path() / "model.bin")) << e.path();
  }
  EXPECT_EQ(runs, 8);
  int sharded = 0;
  for (int i = 0; i < 3; ++i) {
    const Result s = Ratchet(0, grid + fmt::format(" --shard {}/3 --out {}", i, (dir / "sharded").string()), dir);
    ASSERT_EQ(s.code, 0) << s.out << s.err;
    const size_t at = s.out.find("sweep: ", s.out.find('\n'));
    sharded += std::stoi(s.out.substr(at + 7));
  }
  EXPECT_EQ(sharded, 8);  // "sweep: N trained" summed over the shards: each run once
  for (const auto& e : fs::directory_iterator(dir / "local")) {
    if (e.path().filename() == "logs") continue;
    EXPECT_EQ(ReadFile(dir / "sharded" / e.path().filename() / "model.bin"), ReadFile(e.path() / "model.bin"));
  }
  const Result again = Ratchet(3, grid + " --out " + (dir / "sharded").string(), dir);
  EXPECT_NE(again.out.find("sweep: 0 trained, 8 skipped"), std::string::npos) << again.out;
  const Result bad = Ratchet(0, grid + " --shard 3/3 --out " + (dir / "x").string(), dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--shard expects I/K with 0 <= I < K"), std::string::npos) << bad.err;
}

}  // namespace
