// RunTune: hyperparameter search over a search space, each trial trained on the tuning seeds as
// child processes (jobs at a time), scored by its mean periodic evaluation, pruned by the median
// rule, resumable.
//
// Reproducible for a given jobs: trial t is proposed from, and pruned against, exactly the trials
// numbered t - P or lower (P = trials run at once), which have all finished before t starts.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "ratchet/experiment.h"
#include "ratchet/log.h"
#include "ratchet/tune.h"
#include "train/child_process.h"

namespace ratchet {

namespace fs = std::filesystem;

namespace {

// The eval_return_mean values of a run's progress.csv so far (an unreadable or partial file: the
// complete rows only).
std::vector<double> EvalCurve(const fs::path& run) {
  const ProgressTable t = ReadProgress(run / "progress.csv", /*strict=*/false);
  std::vector<double> out;
  if (!t.Find("eval_return_mean")) return out;
  for (double v : t.Column("eval_return_mean"))
    if (!std::isnan(v)) out.push_back(v);
  return out;
}

// A trial in flight: its seed runs and what they have shown so far.
struct Active {
  TuneTrial trial;
  std::vector<fs::path> runs;
  std::vector<pid_t> pids;     // 0 once finished
  std::vector<int> codes;
  size_t checked = 0;          // evaluations already compared with the median
  bool pruned = false;
  size_t pruned_at = 0;        // evaluations it had when pruned: its record stops there
};

}  // namespace

int RunTune(const TuneOptions& opt, const RunnerOptions& runner) {
  std::ostream& out_log = *runner.out;
  const std::vector<int64_t>& seeds = opt.seeds;
  if (seeds.empty()) throw Error("tune: no seeds given");
  const int64_t trials_wanted = opt.trials;
  if (trials_wanted < 1 || trials_wanted > 100000)
    throw Error(fmt::format("--trials must be 1 to 100000, got {}", trials_wanted));
  const int64_t steps = opt.steps;
  if (steps < 1) throw Error(fmt::format("--steps must be a positive integer, got {}", steps));
  if (runner.jobs < 0 || runner.jobs > 256) throw Error(fmt::format("jobs must be 1 to 256, got {}", runner.jobs));
  if (runner.comm != nullptr && runner.comm->size() > 1) throw Error("tune runs in one process, not under mpirun");
  const int jobs = runner.jobs > 0 ? runner.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const uint64_t sampler_seed = opt.sampler_seed;
  if (opt.sampler != "tpe" && opt.sampler != "random")
    throw Error(fmt::format("--sampler is tpe or random, got '{}'", opt.sampler));
  const std::string& algo = opt.algo;
  const std::string& env = opt.env;
  const std::string& preset = opt.preset_path;
  const std::vector<std::string>& user_sets = opt.sets;
  // the search space: the one given, else configs/tune/<algo>.yaml
  std::string space_text = opt.space_yaml, space_source = opt.space_source;
  if (space_text.empty()) {
    const auto& spaces = EmbeddedSearchSpaces();
    const auto it = spaces.find(algo);
    if (it == spaces.end()) throw Error(fmt::format("no search space for '{}': give one with --space FILE", algo));
    space_text = it->second;
    space_source = fmt::format("configs/tune/{}.yaml", algo);
  }
  const std::vector<std::string> self = RunCommand(runner.command);
  const SearchSpace space = ParseSearchSpace(space_text, space_source);
  const std::unique_ptr<Sampler> sampler =
      opt.sampler == "tpe" ? MakeTpeSampler(sampler_seed) : MakeRandomSampler(sampler_seed);
  // every trial evaluates ten times (unless --set says otherwise) with few episodes
  std::vector<std::string> fixed = {"threads=1", "checkpoint_minutes=0", fmt::format("eval_episodes={}", 5),
                                    fmt::format("eval_every={}", std::max<int64_t>(steps / 10, 1))};
  fixed.insert(fixed.end(), user_sets.begin(), user_sets.end());
  const int per_trial = static_cast<int>(seeds.size());
  const int parallel = std::max(1, jobs / per_trial);  // trials at once

  // the settings of a proposal, checked as a run config (an unknown key or a bad value stops here)
  std::optional<int64_t> preset_batch;  // the batch size the trials get unless the space sets one
  for (const auto& [k, v] : ResolveRunConfig({algo, env, seeds[0], steps, preset, fixed, ""})
                                .Binder()
                                .Dump())
    if (k == "batch_size") preset_batch = std::stoll(v);
  const bool has_batch_size = preset_batch.has_value();
  // `mine`: values of (some of) the space's keys
  auto settings_of = [&](std::map<std::string, std::string> mine) {
    std::vector<std::string> sets = fixed;
    // a rollout longer than --steps is shortened to fit (a proposal that cannot run is no reason
    // to end the session), and a minibatch larger than the rollout is lowered to the rollout (as
    // RL Zoo's sampler does)
    if (mine.count("n_steps") || mine.count("batch_size")) {
      ResolveOptions probe{algo, env, seeds[0], steps, preset, fixed, ""};
      for (const auto& [k, v] : mine)
        if (k != "batch_size" && k != "n_steps") probe.sets.push_back(k + "=" + v);
      if (mine.count("n_steps")) probe.sets.push_back("n_steps=1");
      if (mine.count("batch_size") || (mine.count("n_steps") && has_batch_size)) probe.sets.push_back("batch_size=1");
      const RunConfig cfg = ResolveRunConfig(probe);
      int64_t n_steps = cfg.train.n_steps;
      if (mine.count("n_steps")) {
        n_steps = std::stoll(mine["n_steps"]);
        if (n_steps * cfg.train.n_envs > steps) {
          n_steps = std::max<int64_t>(1, steps / cfg.train.n_envs);
          mine["n_steps"] = std::to_string(n_steps);
        }
      }
      const int64_t rollout = n_steps * cfg.train.n_envs;
      if (mine.count("batch_size") && std::stoll(mine["batch_size"]) > rollout) mine["batch_size"] = std::to_string(rollout);
      if (!mine.count("batch_size") && preset_batch && *preset_batch > rollout)
        sets.push_back(fmt::format("batch_size={}", rollout));  // the preset's minibatch, lowered too
    }
    for (const SearchParam& p : space.params)
      if (mine.count(p.name)) sets.push_back(p.name + "=" + mine[p.name]);
    return sets;
  };
  auto settings = [&](const Assignment& a) {
    std::map<std::string, std::string> mine;
    for (size_t i = 0; i < space.params.size(); ++i) mine[space.params[i].name] = a.Text(space, i);
    return settings_of(std::move(mine));
  };
  // every range's ends and every categorical value, checked now as run settings: a value the
  // key refuses (out of its range, not of its type) ends the session before any trial
  const Assignment probe = MakeRandomSampler(0)->Suggest(space, 0, {});
  RunConfig base = ResolveRunConfig({algo, env, seeds[0], steps, preset, fixed, ""});
  const ConfigBinder base_binder = base.Binder();
  for (size_t i = 0; i < space.params.size(); ++i) {
    const SearchParam& p = space.params[i];
    // a key that defines no experiment (threads, checkpoints, evaluation, the seed) is not tuned
    if (base_binder.Has(p.name) && !base_binder.Traits(p.name).defines_experiment())
      throw Error(fmt::format("search space {}: {} cannot be tuned: it does not change what a run trains{}",
                              space_source, p.name, p.name == "seed" ? " (tune runs every trial on --seeds)" : ""));
    std::vector<double> values = {p.low, p.high};
    if (p.kind == SearchParam::Kind::kCategorical) {
      values.clear();
      for (size_t c = 0; c < p.choices.size(); ++c) values.push_back(static_cast<double>(c));
    }
    for (double v : values) {
      Assignment a = probe;
      a.numbers[i] = v;
      try {  // the value alone (the other keys as the preset has them)
        ResolveRunConfig({algo, env, seeds[0], steps, preset, settings_of({{p.name, a.Text(space, i)}}), ""});
      } catch (const Error& e) {
        throw Error(fmt::format("search space {}: {} = {} cannot be a setting of {} on {}: {}", space_source, p.name,
                                a.Text(space, i), algo, env, e.what()));
      }
    }
  }
  try {
    ResolveRunConfig({algo, env, seeds[0], steps, preset, settings(probe), ""});
  } catch (const Error& e) {
    throw Error(fmt::format("search space {}: a proposal cannot be a setting of {} on {}: {}", space_source, algo,
                            env, e.what()));
  }

  // the session: a new one, or the one in --out if it is the same session
  const fs::path out = opt.out;
  if (out.empty()) throw Error("tune: no session directory (--out) given");
  std::error_code ec;
  fs::create_directories(out / "trials", ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", (out / "trials").string(), ec.message()));
  // one session at a time in a directory: a second would restart the first's running trials
  const RunDirLock session_lock(out, "tuning directory", "another tune session");
  std::string identity = fmt::format("algo: {}\nenv: {}\nseeds: {}\nsteps: {}\nsampler: {}\nseed: {}\njobs: {}\n",
                                     algo, env, FormatSeedList(seeds), steps, opt.sampler, sampler_seed, jobs);
  for (const std::string& s : user_sets) identity += "set: " + s + "\n";
  if (!preset.empty()) identity += "config: " + preset + "\n";
  identity += "space: |\n";
  std::stringstream st(space_text);
  for (std::string line; std::getline(st, line);) identity += "  " + line + "\n";
  std::vector<TuneTrial> done;
  if (fs::exists(out / "session.yaml")) {
    if (ReadTextFile(out / "session.yaml", "tuning session") != identity)
      throw Error(fmt::format("'{}' holds another tuning session (its session.yaml differs: algo, env, seeds, "
                              "steps, sampler, seed, jobs, --set or the space); choose another --out",
                              out.string()));
    if (fs::exists(out / "trials.yaml"))
      done = ParseTrials(ReadTextFile(out / "trials.yaml", "tuning session"), space, (out / "trials.yaml").string());
  } else {
    WriteTuneFiles(out, space, {}, std::nullopt);
    WriteFileAtomically(out / "session.yaml", identity, "tuning session");
  }
  std::sort(done.begin(), done.end(), [](const TuneTrial& a, const TuneTrial& b) { return a.number < b.number; });
  // trials that were running when the last session stopped start again from scratch
  for (const auto& e : fs::directory_iterator(out / "trials")) {
    // only what a trial of this session writes: t<number>-s<seed> (and its .log); anything else
    // in the directory is left alone
    int number = -1;
    long long seed = 0;
    int end = 0;
    const std::string name = e.path().filename().string();
    if (std::sscanf(name.c_str(), "t%d-s%lld%n", &number, &seed, &end) != 2 || number < 0) continue;
    if (name.substr(static_cast<size_t>(end)) != "" && name.substr(static_cast<size_t>(end)) != ".log") continue;
    if (fmt::format("t{}-s{}", number, seed) != name.substr(0, static_cast<size_t>(end))) continue;
    if (std::none_of(done.begin(), done.end(), [&](const TuneTrial& t) { return t.number == number; }))
      fs::remove_all(e.path());
  }
  out_log << fmt::format("tune: {} on {}, {} trials ({} finished), seeds {}, {} steps each, {} sampler, {} "
                           "trial{} at a time; {}\n",
                           algo, env, trials_wanted, done.size(), FormatSeedList(seeds), steps, opt.sampler,
                           parallel, parallel == 1 ? "" : "s", out.string())
            << std::flush;

  const StopSignalScope stop_scope;
  std::map<int, Active> active;
  // the finished trials numbered up to `limit`, in number order: what trial limit + P may see
  auto history_up_to = [&](int limit) {
    std::vector<TuneTrial> h;
    for (const TuneTrial& t : done)
      if (t.number <= limit) h.push_back(t);
    return h;
  };
  auto finished_count = [&](int limit) {
    return static_cast<int>(std::count_if(done.begin(), done.end(), [&](const TuneTrial& t) { return t.number <= limit; }));
  };
  // the best trial as a ready preset entry: its whole resolved configuration (the preset's
  // training length, not the tuning budget), less what does not change results
  auto best_entry = [&]() -> std::optional<std::string> {
    const TuneTrial* best = BestTrial(done);
    if (best == nullptr) return std::nullopt;
    std::vector<std::string> sets = user_sets;
    for (size_t i = 0; i < space.params.size(); ++i)
      sets.push_back(best->sets[best->sets.size() - space.params.size() + i]);  // ParseTrials checked them
    RunConfig cfg = ResolveRunConfig({algo, env, std::nullopt, std::nullopt, preset, sets, ""});
    std::vector<std::pair<std::string, std::string>> keys;
    const ConfigBinder binder = cfg.Binder();
    for (const auto& [k, v] : binder.Dump())
      if (binder.Traits(k).defines_experiment()) keys.emplace_back(k, v);
    return PresetEntry(env, *best, keys);
  };
  auto record = [&](Active& a) {
    const TuneTrial& t = a.trial;
    if (std::any_of(done.begin(), done.end(), [&](const TuneTrial& d) { return d.number == t.number; }))
      throw Error(fmt::format("tune: trial {} finished twice (please report this bug)", t.number));
    done.push_back(t);
    std::sort(done.begin(), done.end(), [](const TuneTrial& x, const TuneTrial& y) { return x.number < y.number; });
    WriteTuneFiles(out, space, done, best_entry());
    out_log << fmt::format("  trial {} {}: score {}{}\n", t.number, StateName(t.state),
                             std::isnan(t.score) ? "-" : fmt::format("{:.2f}", t.score),
                             t.note.empty() ? "" : " (" + t.note + ")")
              << std::flush;
  };
  int next = 0;
  while (true) {
    // the next trial number not finished
    auto is_done = [&](int n) { return std::any_of(done.begin(), done.end(), [&](const TuneTrial& t) { return t.number == n; }); };
    // the next trial number neither finished nor running (a resumed session may have finished
    // trials out of order: 0, 1 and 3 done, 2 not)
    auto skip_started = [&] {
      while (next < trials_wanted && (is_done(next) || active.count(next))) ++next;
      return next < trials_wanted;
    };
    // start trials while there is room and their history is complete
    while (g_stop_signal == 0 && skip_started() && static_cast<int>(active.size()) < parallel &&
           finished_count(next - parallel) == std::max(0, next - parallel + 1)) {
      const int n = next++;
      Active a;
      a.trial.number = n;
      const std::vector<TuneTrial> history = history_up_to(n - parallel);
      std::vector<TrialRecord> records;
      for (const TuneTrial& t : history) records.push_back({t.assignment, t.score});
      a.trial.assignment = sampler->Suggest(space, n, records);
      a.trial.sets = settings(a.trial.assignment);
      for (const int64_t seed : seeds) {
        const fs::path run = out / "trials" / fmt::format("t{}-s{}", n, seed);
        std::vector<std::string> args = self;
        for (const std::string& p : LoadedPlugins()) args.insert(args.end(), {"--plugin", p});
        args.insert(args.end(), {"train", "--algo", algo, "--env", env, "--seed", std::to_string(seed),
                                 "--steps", std::to_string(steps), "--run-dir", run.string(), "--quiet"});
        if (!preset.empty()) args.insert(args.end(), {"--config", preset});
        for (const std::string& s : a.trial.sets) args.insert(args.end(), {"--set", s});
        const fs::path log = out / "trials" / fmt::format("t{}-s{}.log", n, seed);
        std::ofstream(log, std::ios::app) << fmt::format("# {}\n", fmt::join(args, " "));
        a.runs.push_back(run);
        a.pids.push_back(Spawn(args, log, /*die_with_parent=*/true));
        a.codes.push_back(0);
      }
      std::string what;
      for (size_t i = 0; i < space.params.size(); ++i)
        what += fmt::format("{}{}={}", i ? " " : "", space.params[i].name, a.trial.assignment.Text(space, i));
      out_log << fmt::format("[{}/{}] trial {}: {}\n", n + 1, trials_wanted, n, what) << std::flush;
      active.emplace(n, std::move(a));
    }
    if (active.empty()) break;
    if (g_stop_signal != 0) {
      for (auto& [n, a] : active)
        for (pid_t pid : a.pids)
          if (pid > 0) kill(pid, g_stop_signal);
      for (auto& [n, a] : active)
        for (pid_t& pid : a.pids)
          if (pid > 0) waitpid(pid, nullptr, 0), pid = 0;
      out_log << fmt::format("tune: stopped; {} trials finished, kept in {}; run the same command to go on\n",
                               done.size(), out.string());
      return 128 + g_stop_signal;
    }
    // reap finished children
    for (int status = 0;;) {
      const pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      for (auto& [n, a] : active)
        for (size_t k = 0; k < a.pids.size(); ++k)
          if (a.pids[k] == pid) {
            a.pids[k] = 0;
            a.codes[k] = ExitCode(status);
          }
    }
    // each active trial: its evaluations so far (where every seed has reached them), pruning,
    // completion
    std::vector<int> finished_now;
    for (auto& [n, a] : active) {
      std::vector<std::vector<double>> curves;
      size_t common = SIZE_MAX;
      for (const fs::path& run : a.runs) {
        curves.push_back(EvalCurve(run));
        common = std::min(common, curves.back().size());
      }
      a.trial.curve.assign(common, 0.0);
      for (size_t k = 0; k < common; ++k) {
        for (const auto& c : curves) a.trial.curve[k] += c[k];
        a.trial.curve[k] /= static_cast<double>(curves.size());
      }
      const bool running = std::any_of(a.pids.begin(), a.pids.end(), [](pid_t p) { return p > 0; });
      // the rule is applied to every evaluation, also those of runs that finished before this
      // look: whether a trial is pruned depends on its curve alone, never on timing
      if (!a.pruned) {
        const std::vector<TuneTrial> peers = history_up_to(n - parallel);
        // no pruning in the first third of a run (RL Zoo's warm-up): early scores say little
        constexpr size_t kWarmup = 3;
        a.checked = std::max(a.checked, kWarmup);
        for (; a.checked < common; ++a.checked) {
          double sum = 0;
          for (size_t k = 0; k <= a.checked; ++k) sum += a.trial.curve[k];
          if (ShouldPrune(peers, a.checked, sum / static_cast<double>(a.checked + 1))) {
            a.pruned = true;
            a.pruned_at = a.checked + 1;
            a.trial.note = fmt::format("below the median at evaluation {}", a.checked + 1);
            for (pid_t pid : a.pids)
              if (pid > 0) kill(pid, SIGKILL);
            break;
          }
        }
      }
      if (running) continue;
      const bool failed = std::any_of(a.codes.begin(), a.codes.end(), [](int c) { return c != 0; });
      if (a.pruned) {
        a.trial.state = TuneTrial::State::kPruned;
        a.trial.curve.resize(a.pruned_at);  // what the decision saw, whatever arrived before the kill
      } else if (failed) {
        a.trial.state = TuneTrial::State::kFailed;
        for (size_t k = 0; k < a.codes.size(); ++k)
          if (a.codes[k] != 0 && a.trial.note.empty())
            a.trial.note = fmt::format("seed {}: {}", seeds[k],
                                       LastLine(out / "trials" / fmt::format("t{}-s{}.log", n, seeds[k])));
      }
      if (!a.trial.curve.empty() && a.trial.state != TuneTrial::State::kFailed) {
        double sum = 0;
        for (double v : a.trial.curve) sum += v;
        a.trial.score = sum / static_cast<double>(a.trial.curve.size());
      }
      finished_now.push_back(n);
    }
    for (int n : finished_now) {
      record(active.at(n));
      active.erase(n);
    }
    if (finished_now.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  out_log << fmt::format("tune: {} trials in {}: trials.md, trials.csv{}\n", done.size(), out.string(),
                           fs::exists(out / "best.yaml") ? ", best.yaml (the best trial as a preset entry)" : "");
  return 0;
}

}  // namespace ratchet
