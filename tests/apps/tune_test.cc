// ratchet tune: the median pruner, the session file, and the CLI end to end: a session, its resume
// (after a clean stop and after kill -9) giving the trials of an uninterrupted session, the best
// trial as a preset that trains, a mismatched session refused.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "ratchet/train.h"
#include "ratchet/tune.h"
#include "test_util.h"

namespace ratchet {
namespace {

namespace fs = std::filesystem;

TuneTrial Complete(int number, std::vector<double> curve) {
  TuneTrial t;
  t.number = number;
  t.curve = std::move(curve);
  t.assignment.numbers = {0.5};
  t.score = 0;
  return t;
}

TEST(MedianPrunerTest, PrunesBelowTheMedianOfCompletedTrialsAtTheSameEvaluation) {
  std::vector<TuneTrial> done = {Complete(0, {1, 1, 1}), Complete(1, {3, 3, 3}), Complete(2, {5, 5, 5}),
                                 Complete(3, {7, 7, 7})};
  // medians of the running means at evaluation 2: (1, 3, 5, 7) -> 4
  EXPECT_TRUE(ShouldPrune(done, 1, 3.9, 4));
  EXPECT_FALSE(ShouldPrune(done, 1, 4.0, 4));
  EXPECT_FALSE(ShouldPrune(done, 1, 0.0, 5));  // too few trials to judge
  EXPECT_FALSE(ShouldPrune(done, 3, 0.0, 4));  // none reached evaluation 4
  done[3].state = TuneTrial::State::kPruned;   // pruned trials do not set the bar
  EXPECT_TRUE(ShouldPrune(done, 0, 2.9, 3));   // median of (1, 3, 5) is 3
  EXPECT_FALSE(ShouldPrune(done, 0, 3.0, 3));
}

TEST(TuneSessionFileTest, RoundTripsAndRefusesAnotherSpace) {
  const SearchSpace space = ParseSearchSpace("lr: {log_uniform: [1.0e-5, 1.0e-2]}\nn: {int: [1, 9]}", "s");
  TuneTrial a;
  a.number = 3;
  a.assignment.numbers = {0.000123456789012345, 7};
  a.sets = {"lr=0.000123457", "n=7"};
  a.curve = {1.5, -2.25};
  a.score = -0.375;
  TuneTrial b = a;
  b.number = 4;
  b.state = TuneTrial::State::kFailed;
  b.score = NAN;
  b.note = "seed 1: ratchet: error: something: with colons";
  const std::vector<TuneTrial> back = ParseTrials(TrialsYaml(space, {a, b}), space, "trials.yaml");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].assignment.numbers, a.assignment.numbers);  // exact: the sampler replays them
  EXPECT_EQ(back[0].curve, a.curve);
  EXPECT_EQ(back[0].score, a.score);
  EXPECT_EQ(back[0].sets, a.sets);
  EXPECT_EQ(back[1].state, TuneTrial::State::kFailed);
  EXPECT_TRUE(std::isnan(back[1].score));
  EXPECT_EQ(back[1].note, b.note);
  const SearchSpace other = ParseSearchSpace("lr: {uniform: [0, 1]}", "s");
  EXPECT_NE(testing::ErrorOf([&] { ParseTrials(TrialsYaml(space, {a}), other, "trials.yaml"); }).find("another search space"),
            std::string::npos);
}

TEST(TuneSessionFileTest, EditedRecordsAreRefusedNamingTheProblem) {
  const SearchSpace space = ParseSearchSpace("lr: {log_uniform: [1.0e-5, 1.0e-2]}\nact: {categorical: [tanh, relu]}", "s");
  TuneTrial a;
  a.number = 0;
  a.assignment.numbers = {1e-3, 1};
  a.sets = {"threads=1", "lr=0.001", "act=relu"};
  a.score = 1.0;
  auto error_of = [&](std::vector<TuneTrial> trials, const std::string& edit_from = "", const std::string& edit_to = "") {
    std::string yaml = TrialsYaml(space, trials);
    if (!edit_from.empty()) yaml.replace(yaml.find(edit_from), edit_from.size(), edit_to);
    return testing::ErrorOf([&] { ParseTrials(yaml, space, "trials.yaml"); });
  };
  TuneTrial empty_sets = a;
  empty_sets.sets.clear();  // once a SIGSEGV in tune
  EXPECT_NE(error_of({empty_sets}).find("does not end its sets with lr="), std::string::npos);
  TuneTrial bad_index = a;
  bad_index.assignment.numbers[1] = 7;  // a categorical index out of range: once std::out_of_range
  EXPECT_NE(error_of({bad_index}).find("outside its range"), std::string::npos);
  EXPECT_NE(error_of({a}, "score: 1", "score: 1e999").find("beyond the range of a double"), std::string::npos);
  TuneTrial again = a;
  EXPECT_NE(error_of({a, again}).find("trial number 0 is repeated"), std::string::npos);
  TuneTrial negative = a;
  negative.number = -2;
  EXPECT_NE(error_of({negative}).find("trial number -2 is negative"), std::string::npos);
  EXPECT_EQ(ParseTrials(TrialsYaml(space, {a}), space, "trials.yaml").size(), 1u);
}

struct Cli {
  int code;
  std::string out, err;
};

Cli RunCli(const std::string& args, const fs::path& io) {
  const int status = std::system((std::string(RATCHET_CLI) + " " + args + " >" + (io / "out").string() + " 2>" +
                                  (io / "err").string())
                                     .c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::ReadFile(io / "out"), testing::ReadFile(io / "err")};
}

TEST(TuneCliTest, AProposedRolloutLongerThanTheBudgetIsShortenedNotFatal) {
  const fs::path dir = testing::FreshDir("tune_cli_rollout");
  std::ofstream(dir / "space.yaml") << "n_steps: {categorical: [2048]}\nbatch_size: {categorical: [256]}\n";
  // a directory of the user's among the trials: left alone (once deleted as "trial 99")
  fs::create_directories(dir / "session" / "trials" / "t99-keepme");
  // CartPole's preset has 8 copies: 2048 x 8 steps per rollout do not fit in 1024
  const Cli r = RunCli(fmt::format("tune --algo ppo --env CartPole-v1 --trials 2 --seeds 1 --steps 1024 --jobs 1 "
                                   "--space {} --out {}", (dir / "space.yaml").string(), (dir / "session").string()),
                       dir);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string trials = testing::ReadFile(dir / "session" / "trials.yaml");
  EXPECT_NE(trials.find("n_steps=128"), std::string::npos) << trials;
  EXPECT_NE(trials.find("batch_size=256"), std::string::npos) << trials;  // within the 1024-step rollout
  EXPECT_EQ(trials.find("state: failed"), std::string::npos) << trials;
  EXPECT_NE(trials.find("number: 1"), std::string::npos) << trials;
  EXPECT_TRUE(fs::exists(dir / "session" / "trials" / "t99-keepme"));
}

TEST(TuneCliTest, SessionsResumeToTheTrialsOfAnUninterruptedSession) {
  const fs::path dir = testing::FreshDir("tune_cli");
  {
    std::ofstream(dir / "space.yaml") << "learning_rate: {log_uniform: [1.0e-4, 3.0e-3]}\n"
                                         "n_epochs: {int: [2, 10]}\nclip_range: {categorical: [0.1, 0.2, 0.3]}\n";
  }
  auto tune = [&](const std::string& out, int trials, const std::string& seeds = "1,2") {
    return fmt::format("tune --algo ppo --env CartPole-v1 --trials {} --seeds {} --steps 4096 --jobs 2 --space {} --out {}",
                       trials, seeds, (dir / "space.yaml").string(), (dir / out).string());
  };
  Cli r = RunCli(tune("whole", 7), dir);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string whole = testing::ReadFile(dir / "whole" / "trials.yaml");
  EXPECT_NE(testing::ReadFile(dir / "whole" / "trials.md").find("| 1 |"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "whole" / "trials.csv"));
  // a session stopped after 3 trials, then continued to 7
  ASSERT_EQ(RunCli(tune("parted", 3), dir).code, 0);
  r = RunCli(tune("parted", 7), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("(3 finished)"), std::string::npos) << r.out;
  EXPECT_EQ(testing::ReadFile(dir / "parted" / "trials.yaml"), whole);
  // a session whose finished trials have a gap (0, 1 and 3 kept, as a kill can leave them with
  // two trials running in parallel, one seed each): 2 runs again, 3 is not run twice (it once
  // was, and recorded as failed), the same trials result
  {
    ASSERT_EQ(RunCli(tune("whole1", 7, "1"), dir).code, 0);
    const std::string whole1 = testing::ReadFile(dir / "whole1" / "trials.yaml");
    ASSERT_EQ(RunCli(tune("gapped", 7, "1"), dir).code, 0);
    const SearchSpace space = ParseSearchSpace(testing::ReadFile(dir / "space.yaml"), "space.yaml");
    std::vector<TuneTrial> kept;
    for (const TuneTrial& t : ParseTrials(whole1, space, "trials.yaml"))
      if (t.number == 0 || t.number == 1 || t.number == 3) kept.push_back(t);
    WriteFileAtomically(dir / "gapped" / "trials.yaml", TrialsYaml(space, kept), "test");
    for (const auto& e : fs::directory_iterator(dir / "gapped" / "trials")) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("t0-") && !name.starts_with("t1-") && !name.starts_with("t3-")) fs::remove_all(e.path());
    }
    r = RunCli(tune("gapped", 7, "1"), dir);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("(3 finished)"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("trial 3:"), std::string::npos) << r.out;  // not started again
    EXPECT_EQ(testing::ReadFile(dir / "gapped" / "trials.yaml"), whole1);
  }
  // kill -9 in the middle: the finished trials stay, the rest run again, the same trials result
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = std::string(RATCHET_CLI) + " " + tune("killed", 7) + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
    _exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (testing::ReadFile(dir / "killed" / "trials.yaml").find("number: 1") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // its trials die with it
  r = RunCli(tune("killed", 7), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(testing::ReadFile(dir / "killed" / "trials.yaml"), whole);
  // the best trial as a preset entry that trains
  r = RunCli("train --algo ppo --env CartPole-v1 --steps 2048 --quiet --config " + (dir / "whole" / "best.yaml").string() +
                 " --run-dir " + (dir / "best").string(),
             dir);
  EXPECT_EQ(r.code, 0) << r.err;
  // another session in the same directory is refused in one line
  r = RunCli(tune("whole", 7, "1,3"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("holds another tuning session"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = RunCli("tune --algo ppo --env CartPole-v1 --trials 2 --steps 4096 --sampler grid --out " + (dir / "x").string(), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sampler is tpe or random"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

TEST(TuneCliTest, ASecondSessionInOneDirectoryIsRefusedWhileTheFirstRuns) {
  const fs::path dir = testing::FreshDir("tune_cli_lock");
  fs::create_directories(dir / "session");
  const RunDirLock first(dir / "session", "tuning directory", "another tune session");  // as a running session holds it
  const Cli r = RunCli(fmt::format("tune --algo ppo --env CartPole-v1 --trials 2 --seeds 1 --steps 1024 --jobs 1 --out {}",
                                   (dir / "session").string()),
                       dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(fmt::format("is in use by process {} (another tune session)", getpid())), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "session" / "session.yaml"));
}

TEST(TuneCliTest, SearchSpacesAreCheckedWholeBeforeAnyTrial) {
  const fs::path dir = testing::FreshDir("tune_cli_space");
  const std::pair<const char*, const char*> cases[] = {
      {"seed: {int: [1, 5]}\n", "a search space cannot set them"},
      {"n_steps: {int: [16, 1000000000000000000]}\n", "int bounds must be within"},
      {"n_epochs: {int: [1, 3000000000]}\n", "n_epochs = 3000000000 cannot be a setting of ppo on CartPole-v1"},
      {"activation: {categorical: [tanh, sigmoid]}\n", "activation = sigmoid cannot be a setting"},
      {"learning_rate: {log_uniform: [1e-5, 1e-3]}\ngamma: {uniform: [0.9, 1.5]}\n", "gamma = 1.5 cannot be"},
      // keys whose traits say they change nothing a run trains
      {"threads: {int: [1, 2]}\n", "threads cannot be tuned: it does not change what a run trains"},
      {"eval_episodes: {int: [1, 20]}\n", "eval_episodes cannot be tuned"},
  };
  for (const auto& [space, want] : cases) {
    std::ofstream(dir / "space.yaml", std::ios::trunc) << space;
    fs::remove_all(dir / "session");
    const Cli r = RunCli(fmt::format("tune --algo ppo --env CartPole-v1 --trials 2 --seeds 1 --steps 1024 --space {} --out {}",
                                     (dir / "space.yaml").string(), (dir / "session").string()),
                         dir);
    EXPECT_EQ(r.code, 2) << space;
    EXPECT_NE(r.err.find(want), std::string::npos) << space << r.err;
    EXPECT_FALSE(fs::exists(dir / "session" / "trials")) << space;  // refused before the session began
  }
}

}  // namespace
}  // namespace ratchet
