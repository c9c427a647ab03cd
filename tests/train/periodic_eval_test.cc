// Periodic evaluation during training: when it runs, what it logs, best_model.bin, and that it
// survives stop and resume; the CLI's --best and plot --metric.
#include <sys/wait.h>

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "ratchet/experiment.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

RunConfig Config(const std::vector<std::string>& extra) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Pendulum-v1";
  o.seed = 6;
  o.sets = {"n_envs=2", "n_steps=128", "batch_size=64", "n_epochs=2", "n_timesteps=2560", "eval_episodes=2",
            "normalize_obs=true"};
  o.sets.insert(o.sets.end(), extra.begin(), extra.end());
  return ResolveRunConfig(o);
}

// (update, eval_return_mean) of every row with an evaluation.
std::vector<std::pair<int, double>> EvalRows(const std::filesystem::path& dir) {
  std::ifstream in(dir / "progress.csv");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
  const size_t c_eval = std::find(cols.begin(), cols.end(), "eval_return_mean") - cols.begin();
  EXPECT_LT(c_eval, cols.size());
  std::vector<std::pair<int, double>> out;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    cells.resize(cols.size());
    if (!cells[c_eval].empty()) out.emplace_back(std::stoi(cells[0]), std::stod(cells[c_eval]));
  }
  return out;
}

TEST(PeriodicEvalTest, RunsOnScheduleAndKeepsTheBestModel) {
  const auto dir = testing::FreshDir("periodic_eval");
  // 10 updates of 256 steps; every 600 steps rounds up to every 3 updates, plus the last
  RunConfig cfg = Config({"eval_every=600"});
  const TrainResult res = Train(cfg, dir, {});
  const auto rows = EvalRows(dir);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].first, 3);
  EXPECT_EQ(rows[1].first, 6);
  EXPECT_EQ(rows[2].first, 9);
  EXPECT_EQ(rows[3].first, 10);
  double best = -INFINITY;
  for (const auto& [u, v] : rows) best = std::max(best, v);
  ASSERT_TRUE(res.best_eval.has_value());
  EXPECT_NEAR(*res.best_eval, best, 1e-7 * std::fabs(best));  // the CSV keeps 9 digits
  // best_model.bin is the model that scored it: evaluated again on the same seeds, it scores it
  const TrainedModel m = LoadTrainedModel(dir, "best_model.bin");
  const EvalResult again = Evaluate(*m.policy, "Pendulum-v1", 2, kEvalSeedBase, true, &m.norm);
  EXPECT_NEAR(again.mean, best, 1e-6 * (1 + std::fabs(best)));
  // the last periodic evaluation is the final one
  ASSERT_TRUE(res.eval.has_value());
  EXPECT_NEAR(res.eval->mean, rows.back().second, 1e-6 * (1 + std::fabs(best)));
  // RunRecord carries the evaluation curve for plots
  const RunRecord rec = ReadRun(dir);
  ASSERT_EQ(rec.eval_steps.size(), 4u);
  EXPECT_EQ(rec.eval_steps[0], 768);
  EXPECT_EQ(rec.eval_returns[3], rows[3].second);
}

TEST(PeriodicEvalTest, DefaultIsTenPerRunAndNegativeIsNone) {
  const auto dir = testing::FreshDir("periodic_eval_default");
  RunConfig cfg = Config({"n_timesteps=5120"});  // 20 updates: every 2
  Train(cfg, dir, {});
  EXPECT_EQ(EvalRows(dir).size(), 10u);
  const auto off = testing::FreshDir("periodic_eval_off");
  RunConfig none = Config({"eval_every=-1"});
  const TrainResult res = Train(none, off, {});
  EXPECT_TRUE(EvalRows(off).empty());
  EXPECT_FALSE(res.best_eval.has_value());
  EXPECT_FALSE(std::filesystem::exists(off / "best_model.bin"));
  EXPECT_TRUE(res.eval.has_value());  // the final evaluation still runs
  EXPECT_NE(testing::ErrorOf([&] { LoadTrainedModel(off, "best_model.bin"); }).find("has no best_model.bin"),
            std::string::npos);
}

TEST(PeriodicEvalTest, StopAndResumeKeepTheBestAndTheCurve) {
  const auto whole = testing::FreshDir("periodic_eval_whole");
  RunConfig a = Config({"eval_every=512"});
  Train(a, whole, {});
  const auto parted = testing::FreshDir("periodic_eval_parted");
  RunConfig b = Config({"eval_every=512", "stop_at=1536"});
  ASSERT_TRUE(Train(b, parted, {}).stopped);
  const TrainResult res = Resume(parted, {});
  EXPECT_EQ(testing::CsvWithoutWallTime(parted / "progress.csv"), testing::CsvWithoutWallTime(whole / "progress.csv"));
  EXPECT_EQ(testing::ReadFile(parted / "best_model.bin"), testing::ReadFile(whole / "best_model.bin"));
  EXPECT_EQ(testing::ReadFile(parted / "model.bin"), testing::ReadFile(whole / "model.bin"));
  ASSERT_TRUE(res.best_eval.has_value());
}

// stop_at_return stops with a checkpoint after the first evaluation that reaches it; one that no
// evaluation reaches changes nothing.
TEST(PeriodicEvalTest, StopAtReturnStopsAfterTheEvaluationThatReachesIt) {
  const auto whole = testing::FreshDir("stop_at_return_whole");
  RunConfig a = Config({"eval_every=512"});
  Train(a, whole, {});
  const auto rows = EvalRows(whole);
  ASSERT_EQ(rows.size(), 5u);
  // a threshold that the best of the evaluations before the last, k, is the first to reach
  size_t k = 0;
  for (size_t i = 1; i + 1 < rows.size(); ++i)
    if (rows[i].second > rows[k].second) k = i;
  double before = -INFINITY;
  for (size_t i = 0; i < k; ++i) before = std::max(before, rows[i].second);
  const double threshold = k == 0 ? rows[0].second - 1 : (before + rows[k].second) / 2;
  const auto stopped = testing::FreshDir("stop_at_return_stopped");
  RunConfig b = Config({"eval_every=512", fmt::format("stop_at_return={:.17g}", threshold)});
  const TrainResult res = Train(b, stopped, {});
  EXPECT_TRUE(res.stopped);
  EXPECT_EQ(res.stop_reason, fmt::format("stop_at_return: the evaluation after {} steps returned {:.2f} (>= {})",
                                         256 * rows[k].first, rows[k].second, threshold));
  EXPECT_EQ(res.updates, rows[k].first);
  EXPECT_EQ(res.steps, 256 * rows[k].first);
  EXPECT_FALSE(std::filesystem::exists(stopped / "model.bin"));
  EXPECT_FALSE(std::filesystem::is_empty(stopped / "checkpoints"));
  const auto got = EvalRows(stopped);
  ASSERT_EQ(got.size(), k + 1);
  for (size_t i = 0; i <= k; ++i) EXPECT_EQ(got[i], rows[i]);
  // out of reach: the whole run, bit for bit
  const auto high = testing::FreshDir("stop_at_return_high");
  RunConfig c = Config({"eval_every=512", "stop_at_return=1e9"});
  EXPECT_FALSE(Train(c, high, {}).stopped);
  EXPECT_EQ(testing::ReadFile(high / "model.bin"), testing::ReadFile(whole / "model.bin"));
  // the text form refuses inf and nan when parsed; a library caller setting the field is checked too
  RunConfig d = Config({});
  d.train.stop_at_return = INFINITY;
  EXPECT_NE(testing::ErrorOf([&] { d.train.Validate(); }).find("stop_at_return must be a finite number or null"),
            std::string::npos);
}

struct Cli {
  int code;
  std::string out, err;
};

Cli RunCli(const std::string& args, const std::filesystem::path& io) {
  const int status = std::system((std::string(RATCHET_CLI) + " " + args + " >" + (io / "out").string() + " 2>" +
                                  (io / "err").string())
                                     .c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::ReadFile(io / "out"), testing::ReadFile(io / "err")};
}

TEST(PeriodicEvalTest, CliEvaluatesExportsAndPlotsTheBest) {
  const auto dir = testing::FreshDir("periodic_eval_cli");
  const std::string run = (dir / "run").string();
  Cli r = RunCli("train --algo ppo --env CartPole-v1 --steps 4096 --quiet --set eval_every=1024 --set eval_episodes=2 "
                 "--run-dir " + run, dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("best periodic evaluation:"), std::string::npos) << r.out;
  r = RunCli("eval " + run + " --best --episodes 2 --deterministic", dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("(best_model.bin)"), std::string::npos) << r.out;
  r = RunCli("export " + run + " --best -o " + (dir / "best.rpol").string(), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "best.rpol"));
  r = RunCli("plot " + run + " --metric eval -o " + (dir / "eval.png").string(), dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "eval.png"));
  r = RunCli("plot " + run + " --metric best -o " + (dir / "x.png").string(), dir);
  EXPECT_EQ(r.code, 2);
  // a run without periodic evaluation: --best says why, in one line
  const std::string plain = (dir / "plain").string();
  ASSERT_EQ(RunCli("train --steps 2048 --quiet --set eval_every=-1 --run-dir " + plain, dir).code, 0);
  r = RunCli("eval " + plain + " --best", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("has no best_model.bin"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// A run without model.bin (interrupted here; the same holds while it trains) is evaluated and
// exported from its newest checkpoint, which says so: the policy exported is exactly that of a
// run that ended at the same step.
TEST(UnfinishedRunTest, EvalAndExportUseTheNewestCheckpoint) {
  const auto dir = testing::FreshDir("unfinished_cli");
  // constant schedules, so that the run's total length does not change its first updates
  const std::string common = "train --algo ppo --env CartPole-v1 --quiet --set learning_rate=0.0003 "
                             "--set clip_range=0.2 --set eval_episodes=2 ";
  ASSERT_EQ(RunCli(common + "--steps 2048 --run-dir " + (dir / "ended").string(), dir).code, 0);
  ASSERT_EQ(RunCli(common + "--steps 8192 --set stop_at=2048 --run-dir " + (dir / "stopped").string(), dir).code, 0);
  ASSERT_FALSE(std::filesystem::exists(dir / "stopped" / "model.bin"));
  Cli r = RunCli("export " + (dir / "stopped").string() + " -o " + (dir / "stopped.rpol").string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("has no model.bin yet"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("update 8 of 32"), std::string::npos) << r.err;
  ASSERT_EQ(RunCli("export " + (dir / "ended").string() + " -o " + (dir / "ended.rpol").string(), dir).code, 0);
  EXPECT_EQ(testing::ReadFile(dir / "stopped.rpol"), testing::ReadFile(dir / "ended.rpol"));
  r = RunCli("eval " + (dir / "stopped").string() + " --episodes 2", dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("using its newest checkpoint"), std::string::npos) << r.err;
  const TrainedModel m = LoadTrainedModel(dir / "stopped");
  EXPECT_NE(m.source.find("ckpt-00000008.bin"), std::string::npos) << m.source;
  EXPECT_TRUE(LoadTrainedModel(dir / "ended").source.empty());
}

}  // namespace
}  // namespace ratchet
