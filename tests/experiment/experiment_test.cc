// Experiments: seed lists, sweep planning, reading runs back, the summary table, curve
// aggregation and plots.
#include <cairo/cairo.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ratchet/experiment.h"
#include "ratchet/viz.h"
#include "test_util.h"

namespace ratchet {
namespace {

using testing::ErrorOf;

TEST(SeedListTest, RangesListsAndErrors) {
  EXPECT_EQ(ParseSeedList("0-4"), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ParseSeedList("3,1,3, 7"), (std::vector<int64_t>{3, 1, 7}));
  EXPECT_EQ(ParseSeedList("0-2,10,1"), (std::vector<int64_t>{0, 1, 2, 10}));
  EXPECT_EQ(ParseSeedList("5"), (std::vector<int64_t>{5}));
  EXPECT_NE(ErrorOf([] { ParseSeedList("5-1"); }).find("backwards"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSeedList("a-b"); }).find("'a-b' is not a seed"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSeedList("1,,2"); }).find("'' is not a seed"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSeedList("-3"); }).find("not a seed"), std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseSeedList("0-100000"); }).find("more than 10000"), std::string::npos);
  EXPECT_EQ(ParseNameList("ppo, a2c,ppo", "--algo"), (std::vector<std::string>{"ppo", "a2c"}));
  EXPECT_NE(ErrorOf([] { ParseNameList("ppo,", "--algo"); }).find("--algo: empty name"), std::string::npos);
}

RunConfig Config(const std::string& algo, int64_t seed, std::vector<std::string> sets) {
  ResolveOptions o;
  o.algo = algo;
  o.env = "CartPole-v1";
  o.seed = seed;
  o.steps = 1024;
  o.sets = std::move(sets);
  o.sets.push_back("eval_episodes=2");
  return ResolveRunConfig(o);
}

TEST(SweepPlanTest, InspectsEveryRunDirectory) {
  const auto out = testing::FreshDir("sweep_plan");
  SweepOptions opt;
  opt.algos = {"ppo", "a2c"};
  opt.envs = {"CartPole-v1"};
  opt.seeds = {0, 1, 2};
  opt.steps = 1024;
  opt.sets = {"eval_episodes=2"};
  opt.out = out;
  std::vector<SweepRun> plan = PlanSweep(opt);
  ASSERT_EQ(plan.size(), 6u);
  EXPECT_EQ(plan[1].dir, out / "a2c-CartPole-v1-s0");  // seed-major order
  EXPECT_EQ(plan[2].dir, out / "ppo-CartPole-v1-s1");
  for (const SweepRun& r : plan) EXPECT_EQ(r.state, SweepRun::State::kNew);

  // ppo s0 finished; ppo s1 stopped after a checkpoint; ppo s2 started without a checkpoint;
  // a2c s1 was run with another gamma; a2c s2 is not a run directory
  RunConfig done = Config("ppo", 0, {});
  std::filesystem::create_directories(out / "ppo-CartPole-v1-s0");
  Train(done, out / "ppo-CartPole-v1-s0", {});
  RunConfig stopped = Config("ppo", 1, {"stop_at=512", "threads=1"});  // incidental keys differ
  std::filesystem::create_directories(out / "ppo-CartPole-v1-s1");
  Train(stopped, out / "ppo-CartPole-v1-s1", {});
  std::filesystem::create_directories(out / "ppo-CartPole-v1-s2");
  std::ofstream(out / "ppo-CartPole-v1-s2" / "config.yaml") << Config("ppo", 2, {}).ToYaml();
  std::ofstream(out / "ppo-CartPole-v1-s2" / ".ratchet-run") << "a Ratchet run directory\n";  // as Train writes first
  RunConfig other = Config("a2c", 1, {"gamma=0.95"});
  std::filesystem::create_directories(out / "a2c-CartPole-v1-s1");
  std::ofstream(out / "a2c-CartPole-v1-s1" / "config.yaml") << other.ToYaml();
  std::filesystem::create_directories(out / "a2c-CartPole-v1-s2");
  std::ofstream(out / "a2c-CartPole-v1-s2" / "notes.txt") << "mine";

  plan = PlanSweep(opt);
  auto state = [&](const std::string& name) -> const SweepRun& {
    for (const SweepRun& r : plan)
      if (r.dir.filename() == name) return r;
    throw std::runtime_error("no run " + name);
  };
  EXPECT_EQ(state("ppo-CartPole-v1-s0").state, SweepRun::State::kDone);
  EXPECT_EQ(state("ppo-CartPole-v1-s1").state, SweepRun::State::kResume);
  EXPECT_EQ(state("ppo-CartPole-v1-s2").state, SweepRun::State::kRestart);
  EXPECT_EQ(state("a2c-CartPole-v1-s0").state, SweepRun::State::kNew);
  EXPECT_EQ(state("a2c-CartPole-v1-s1").state, SweepRun::State::kConflict);
  EXPECT_NE(state("a2c-CartPole-v1-s1").why.find("gamma: 0.95"), std::string::npos) << state("a2c-CartPole-v1-s1").why;
  EXPECT_EQ(state("a2c-CartPole-v1-s2").state, SweepRun::State::kConflict);
  // without Train's marker the same files are someone else's: left alone, never restarted
  std::filesystem::remove(out / "ppo-CartPole-v1-s2" / ".ratchet-run");
  plan = PlanSweep(opt);
  EXPECT_EQ(state("ppo-CartPole-v1-s2").state, SweepRun::State::kConflict);
  EXPECT_NE(state("ppo-CartPole-v1-s2").why.find("not made by Ratchet"), std::string::npos);

  // more steps than a finished run has is a different run, not a silent extension
  opt.steps = 2048;
  plan = PlanSweep(opt);
  EXPECT_EQ(state("ppo-CartPole-v1-s0").state, SweepRun::State::kConflict);
  EXPECT_NE(state("ppo-CartPole-v1-s0").why.find("n_timesteps"), std::string::npos);

  opt.envs = {"NoSuchEnv-v0"};
  EXPECT_NE(ErrorOf([&] { PlanSweep(opt); }).find("unknown environment"), std::string::npos);
}

TEST(ReadRunTest, ReadsConfigProgressAndEvaluation) {
  const auto dir = testing::FreshDir("read_run");
  RunConfig cfg = Config("ppo", 4, {});
  const TrainResult res = Train(cfg, dir, {});
  const RunRecord r = ReadRun(dir);
  EXPECT_EQ(r.algo, "ppo");
  EXPECT_EQ(r.env, "CartPole-v1");
  EXPECT_EQ(r.seed, 4);
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.last_steps, res.steps);
  ASSERT_FALSE(r.returns.empty());
  EXPECT_EQ(r.steps.size(), r.returns.size());
  ASSERT_TRUE(r.eval_mean && res.eval);
  EXPECT_NEAR(*r.eval_mean, res.eval->mean, 1e-6 * std::abs(res.eval->mean));
  EXPECT_EQ(r.FinalReturn(), *r.eval_mean);
  EXPECT_EQ(FindRuns({dir.string()}), std::vector<std::filesystem::path>{dir});

  std::ofstream(dir / "progress.csv", std::ios::app) << "1,2,3\n";
  EXPECT_NE(ErrorOf([&] { ReadRun(dir); }).find("cells"), std::string::npos);
  EXPECT_NE(ErrorOf([] { FindRuns({"/nonexistent/runs"}); }).find("does not exist"), std::string::npos);
  const auto empty = testing::FreshDir("read_run_empty");
  EXPECT_NE(ErrorOf([&] { FindRuns({empty.string()}); }).find("holds no runs"), std::string::npos);
}

TEST(SummaryTableTest, MeanAndSampleStdOverSeeds) {
  std::vector<RunRecord> runs(4);
  const double finals[] = {100, 200, 300, 50};
  for (int k = 0; k < 4; ++k) {
    runs[k].algo = runs[k].label = k < 3 ? "ppo" : "a2c";
    runs[k].env = "CartPole-v1";
    runs[k].seed = k;
    runs[k].finished = k != 2;
    runs[k].last_steps = 1000;
    runs[k].wall_seconds = 0.5;
    runs[k].steps = {500, 1000};
    runs[k].returns = {1, finals[k] + 1};
    if (k != 1) runs[k].eval_mean = finals[k];  // run 1: the training return is its final return
  }
  runs[1].returns.back() = 200;
  // the like-for-like columns: the stochastic evaluation (two of the ppo seeds have one), the
  // last training return (101, 200, 301), the best periodic evaluation (one ppo seed)
  runs[0].eval_stochastic_mean = 90;
  runs[2].eval_stochastic_mean = 110;
  runs[0].eval_steps = {500, 1000};
  runs[0].eval_returns = {120, 80};
  const std::string t = SummaryTable(runs);
  EXPECT_NE(t.find("| ppo | CartPole-v1 | 3 (1 unfinished) | 1000 | 200.0 ± 100.0 | 100.0 ± 14.1 | 200.7 ± 100.0 | "
                   "120.0 ± 0.0 | 2000 |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| a2c | CartPole-v1 | 1 | 1000 | 50.0 ± 0.0 | - | 51.0 ± 0.0 | - | 2000 |"), std::string::npos) << t;
  for (RunRecord& r : runs) r.label = r.algo;
  runs[3].label = "a2c-rms";
  const std::string csv = PerRunCsv(runs);
  EXPECT_NE(csv.find("ppo,ppo,CartPole-v1,0,1000,100,100,101,0.500,90,120\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("ppo,ppo,CartPole-v1,1,1000,200,,200,0.500,,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("a2c-rms,a2c,CartPole-v1,3,1000,50,50,51,0.500,,\n"), std::string::npos) << csv;
  EXPECT_NE(SummaryTable(runs).find("| a2c-rms |"), std::string::npos);
}

Curve MakeCurve(std::vector<double> x, std::vector<double> y, const std::string& algo = "ppo",
                const std::string& env = "CartPole-v1") {
  return {algo, env, std::move(x), std::move(y)};
}

TEST(AggregateTest, InterpolatesOnTheCommonRangeAndBands) {
  const Curve a = MakeCurve({0, 10, 20}, {0, 10, 20});
  const Curve b = MakeCurve({5, 25}, {5, 25});  // y = x as well, coarser, shifted range
  const Curve c = MakeCurve({0, 20}, {2, 22});  // y = x + 2
  const AggregatedCurve s = Aggregate({&a, &b, &c}, Band::kStd, 4);
  ASSERT_EQ(s.steps, (std::vector<double>{5, 10, 15, 20}));
  for (size_t k = 0; k < 4; ++k) {
    const double x = s.steps[k];
    EXPECT_DOUBLE_EQ(s.mean[k], x + 2.0 / 3);
    // sample std of {x, x, x + 2}
    const double sd = std::sqrt(((2.0 / 3) * (2.0 / 3) * 2 + (4.0 / 3) * (4.0 / 3)) / 2);
    EXPECT_NEAR(s.hi[k] - s.mean[k], sd, 1e-12);
    EXPECT_NEAR(s.mean[k] - s.lo[k], sd, 1e-12);
  }
  const AggregatedCurve ci = Aggregate({&a, &b, &c}, Band::kBootstrapCi, 4);
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_LE(ci.lo[k], ci.mean[k]);
    EXPECT_GE(ci.hi[k], ci.mean[k]);
    EXPECT_GE(ci.lo[k], s.steps[k] - 1e-12);      // a mean of resampled runs lies within the runs
    EXPECT_LE(ci.hi[k], s.steps[k] + 2 + 1e-12);
    EXPECT_GT(ci.hi[k] - ci.lo[k], 0.5);
  }
  const AggregatedCurve again = Aggregate({&a, &b, &c}, Band::kBootstrapCi, 4);
  EXPECT_EQ(again.lo, ci.lo);  // a fixed resampling seed
  const AggregatedCurve one = Aggregate({&a}, Band::kStd, 3);
  EXPECT_EQ(one.lo, one.mean);
  const Curve far = MakeCurve({100, 200}, {0, 1});
  EXPECT_NE(ErrorOf([&] { Aggregate({&a, &far}, Band::kStd); }).find("share no range"), std::string::npos);
}

TEST(PlotTest, WritesPngAndSvgOfTheRightSize) {
  const auto dir = testing::FreshDir("plot");
  std::vector<Curve> runs;
  for (int s = 0; s < 3; ++s) {
    std::vector<double> x, y, y2;
    for (int k = 0; k <= 50; ++k) {
      x.push_back(1000.0 * k);
      y.push_back(10.0 * k + s);
      y2.push_back(5.0 * k - s);
    }
    runs.push_back(MakeCurve(x, y, "ppo", "CartPole-v1"));
    runs.push_back(MakeCurve(x, y2, "a2c", "CartPole-v1"));
    runs.push_back(MakeCurve(x, y, "ppo", "Pendulum-v1"));
  }
  PlotOptions opt;
  opt.title = "test";
  opt.show_runs = true;
  PlotLearningCurves(runs, opt, dir / "c.png");
  cairo_surface_t* png = cairo_image_surface_create_from_png((dir / "c.png").c_str());
  ASSERT_EQ(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(png), 2 * opt.panel_width);  // two envs side by side
  EXPECT_EQ(cairo_image_surface_get_height(png), opt.panel_height + 36);
  // the ppo mean is drawn in the first palette colour somewhere
  const unsigned char* data = cairo_image_surface_get_data(png);
  const int stride = cairo_image_surface_get_stride(png);
  int blue = 0;
  for (int yy = 0; yy < cairo_image_surface_get_height(png); ++yy)
    for (int xx = 0; xx < cairo_image_surface_get_width(png); ++xx) {
      const uint32_t px = *reinterpret_cast<const uint32_t*>(data + yy * stride + 4 * xx);
      blue += (px & 0xffffff) == 0x1f77b4;
    }
  EXPECT_GT(blue, 100);
  cairo_surface_destroy(png);

  opt.band = Band::kBootstrapCi;
  PlotLearningCurves(runs, opt, dir / "c.svg");
  std::ifstream in(dir / "c.svg");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find("<svg"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "c.svg.tmp"));
  EXPECT_NE(ErrorOf([&] { PlotLearningCurves(runs, opt, dir / "c.jpg"); }).find(".png or .svg"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { PlotLearningCurves({}, opt, dir / "d.png"); }).find("no runs"), std::string::npos);
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

TEST(ReadRunsTest, GroupsByConfigurationAndNeverCountsASeedTwice) {
  const auto dir = testing::FreshDir("read_runs");
  auto train = [&](const std::string& name, int64_t seed, const std::string& n_steps) {
    ResolveOptions o;
    o.algo = "ppo";
    o.env = "CartPole-v1";
    o.seed = seed;
    o.sets = {"n_envs=2", "n_steps=" + n_steps, "batch_size=64", "n_timesteps=256", "eval_episodes=1"};
    RunConfig cfg = ResolveRunConfig(o);
    std::filesystem::create_directories(dir / name);
    Train(cfg, dir / name, {});
  };
  train("a-s1", 1, "64");
  train("a-s2", 2, "64");
  train("b-s1", 1, "128");
  const std::vector<RunRecord> runs = ReadRuns({dir.string()});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].label, "ppo (n_steps=64)");
  EXPECT_EQ(runs[2].label, "ppo (n_steps=128)");
  const std::string table = SummaryTable(runs);
  EXPECT_NE(table.find("ppo (n_steps=64)"), std::string::npos) << table;
  // a retrain of seed 1 with the same configuration into another directory
  train("a-s1-2", 1, "64");
  std::string why;
  try {
    ReadRuns({dir.string()});
  } catch (const Error& e) {
    why = e.what();
  }
  EXPECT_NE(why.find("with the same seed 1"), std::string::npos) << why;
}

// The library's sweep and tuning session, called as a C++ user would: they need a program for
// their runs and say how to give one; a sweep trains its grid, then skips it, and reports through
// the caller's streams; a tuning session's setting is checked before any trial.
TEST(RunSweepTest, TrainsThenSkipsAndNeedsAProgramForItsRuns) {
  const auto dir = testing::FreshDir("run_sweep");
  SweepOptions opt;
  opt.algos = {"ppo"};
  opt.envs = {"CartPole-v1"};
  opt.seeds = {1, 2};
  opt.steps = 2048;
  opt.out = dir / "runs";
  std::ostringstream out, err;
  RunnerOptions runner{.jobs = 2, .out = &out, .err = &err};
  // no program: neither given, chosen (SetRunCommand) nor in RATCHET_CLI
  const char* env_cli = std::getenv("RATCHET_CLI");
  const std::string saved = env_cli != nullptr ? env_cli : "";
  unsetenv("RATCHET_CLI");
  SetRunCommand({});
  const std::string why = ErrorOf([&] { RunSweep(opt, runner); });
  if (!saved.empty()) setenv("RATCHET_CLI", saved.c_str(), 1);
  EXPECT_NE(why.find("ServeRun"), std::string::npos) << why;
  EXPECT_FALSE(std::filesystem::exists(dir / "runs" / "ppo-CartPole-v1-s1"));
  EXPECT_NE(ErrorOf([&] { RunSweep(opt, {.command = {RATCHET_CLI}, .jobs = 300}); }).find("jobs"), std::string::npos);

  runner.command = {RATCHET_CLI};
  ASSERT_EQ(RunSweep(opt, runner), 0) << out.str() << err.str();
  EXPECT_NE(out.str().find("sweep: 2 trained, 0 skipped, 0 failed"), std::string::npos) << out.str();
  EXPECT_TRUE(std::filesystem::exists(dir / "runs" / "ppo-CartPole-v1-s2" / "model.bin"));
  out.str("");
  ASSERT_EQ(RunSweep(opt, runner), 0);
  EXPECT_NE(out.str().find("sweep: 0 trained, 2 skipped, 0 failed"), std::string::npos) << out.str();
  EXPECT_EQ(ReadRuns({(dir / "runs").string()}).size(), 2u);

  TuneOptions tune;
  tune.algo = "ppo";
  tune.env = "CartPole-v1";
  tune.trials = 2;
  tune.steps = 2048;
  tune.space_yaml = "gamma: {uniform: [0.9, 1.5]}\n";
  tune.space_source = "test space";
  tune.out = dir / "tune";
  const std::string bad = ErrorOf([&] { RunTune(tune, runner); });
  EXPECT_NE(bad.find("test space: gamma = 1.5 cannot be a setting"), std::string::npos) << bad;
  EXPECT_FALSE(std::filesystem::exists(dir / "tune" / "trials" / "t0-s0"));
}

TEST(SeedListTest, FormatIsTheInverseOfParse) {
  EXPECT_EQ(FormatSeedList({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
  EXPECT_EQ(FormatSeedList({100}), "100");
  for (const std::string text : {"0-4", "1,3,5", "0-2,10,12-13"}) EXPECT_EQ(FormatSeedList(ParseSeedList(text)), text);
}

}  // namespace
}  // namespace ratchet
