// Sweeps (planning a grid of runs), reading run directories, and the summary table.
#include "ratchet/experiment.h"
#include "ratchet/log.h"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "ratchet/config.h"

namespace ratchet {

namespace {

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, sep);) out.push_back(Trim(item));
  if (!text.empty() && text.back() == sep) out.push_back("");
  return out;
}


}  // namespace

std::vector<int64_t> ParseSeedList(const std::string& text) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (const std::string& item : Split(text, ',')) {
    int64_t a, b;
    const size_t dash = item.find('-', 1);
    const bool range = dash != std::string::npos;
    if (!(range ? ParseInt64(item.substr(0, dash), &a) && ParseInt64(item.substr(dash + 1), &b)
                : ParseInt64(item, &a)) ||
        a < 0 || (range && b < 0))
      throw Error(fmt::format("--seeds: '{}' is not a seed or range of seeds (like 0-9 or 1,3,5)", item));
    if (!range) b = a;
    if (b < a) throw Error(fmt::format("--seeds: range '{}' runs backwards", item));
    if (b - a >= 10000 || out.size() + (b - a) >= 10000) throw Error("--seeds: more than 10000 seeds");
    for (int64_t s = a; s <= b; ++s)
      if (seen.insert(s).second) out.push_back(s);
  }
  if (out.empty()) throw Error("--seeds: no seeds given");
  return out;
}

std::string FormatSeedList(const std::vector<int64_t>& seeds) {
  std::string out;
  for (size_t i = 0; i < seeds.size();) {
    size_t j = i;
    while (j + 1 < seeds.size() && seeds[j + 1] == seeds[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + (j > i ? fmt::format("{}-{}", seeds[i], seeds[j]) : std::to_string(seeds[i]));
    i = j + 1;
  }
  return out;
}

std::vector<std::string> ParseNameList(const std::string& text, const char* what) {
  std::vector<std::string> out;
  for (const std::string& item : Split(text, ',')) {
    if (item.empty()) throw Error(fmt::format("{}: empty name in '{}'", what, text));
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  }
  if (out.empty()) throw Error(fmt::format("{}: no names given", what));
  return out;
}

const char* StateName(SweepRun::State s) {
  switch (s) {
    case SweepRun::State::kNew: return "new";
    case SweepRun::State::kRestart: return "restart";
    case SweepRun::State::kResume: return "resume";
    case SweepRun::State::kDone: return "done";
    case SweepRun::State::kConflict: return "conflict";
  }
  return "?";
}

std::vector<SweepRun> PlanSweep(const SweepOptions& opt) {
  std::vector<SweepRun> plan;
  for (const int64_t seed : opt.seeds) {
    for (const std::string& algo : opt.algos) {
      for (const std::string& env : opt.envs) {
        ResolveOptions ro;
        ro.algo = algo;
        ro.env = env;
        ro.seed = seed;
        ro.steps = opt.steps;
        ro.preset_path = opt.preset_path;
        ro.sets = opt.sets;
        SweepRun run;
        run.cfg = ResolveRunConfig(ro);
        run.dir = opt.out / fmt::format("{}-{}-s{}", run.cfg.train.name(), env, seed);
        namespace fs = std::filesystem;
        const RunDirStatus st = InspectRunDir(run.dir);
        if (!st.in_use.empty()) {
          run.state = SweepRun::State::kConflict;  // a live run: never restarted under its trainer
          run.why = "in use: " + st.in_use;
        } else if (!fs::exists(run.dir) || (st.exists && st.empty)) {
          run.state = SweepRun::State::kNew;
        } else if (!fs::exists(run.dir / "config.yaml")) {
          run.state = SweepRun::State::kConflict;
          run.why = "it is not a run directory";
        } else {
          RunConfig have = LoadRunConfig(run.dir);
          const ConfigBinder binder = run.cfg.Binder();
          const auto mine = binder.Dump(), theirs = have.Binder().Dump();
          // a run that differs in how it was executed only (threads, checkpoints) is the same run
          for (size_t k = 0; k < mine.size() && run.why.empty(); ++k)
            if (binder.Traits(mine[k].first).changes_outputs && mine[k] != theirs[k])
              run.why = fmt::format("it has {}: {} where this sweep asks for {}", theirs[k].first,
                                    theirs[k].second, mine[k].second);
          if (!run.why.empty()) {
            run.state = SweepRun::State::kConflict;
          } else if (fs::exists(run.dir / "model.bin")) {
            run.state = SweepRun::State::kDone;
          } else if (fs::exists(run.dir / "checkpoints") && !fs::is_empty(run.dir / "checkpoints")) {
            run.state = SweepRun::State::kResume;
          } else if (st.ours) {
            run.state = SweepRun::State::kRestart;
          } else {
            run.state = SweepRun::State::kConflict;
            run.why = "it was not made by Ratchet's Train (no .ratchet-run marker)";
          }
        }
        plan.push_back(std::move(run));
      }
    }
  }
  return plan;
}

double RunRecord::FinalReturn() const {
  if (eval_mean) return *eval_mean;
  return returns.empty() ? NAN : returns.back();
}

std::vector<std::filesystem::path> FindRuns(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<fs::path> runs;
  for (const std::string& p : paths) {
    if (!fs::is_directory(p)) throw Error(fmt::format("run directory '{}' does not exist", p));
    const size_t before = runs.size();
    if (fs::exists(fs::path(p) / "config.yaml")) {
      runs.emplace_back(p);
    } else {
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); ++it) {
        if (!it->is_directory()) continue;
        if (fs::exists(it->path() / "config.yaml")) {
          runs.push_back(it->path());
          it.disable_recursion_pending();
        }
      }
    }
    if (runs.size() == before) throw Error(fmt::format("'{}' holds no runs (no config.yaml found)", p));
  }
  std::sort(runs.begin(), runs.end());
  runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
  return runs;
}

RunRecord ReadRun(const std::filesystem::path& dir) {
  RunRecord r;
  r.dir = dir;
  RunConfig cfg = LoadRunConfig(dir);
  r.algo = cfg.train.algo;
  r.label = cfg.train.name();
  r.env = cfg.train.env;
  r.seed = cfg.train.seed;
  r.target_steps = cfg.train.n_timesteps;
  const ConfigBinder binder = cfg.Binder();
  for (const auto& [k, v] : binder.Dump())
    if (binder.Traits(k).defines_experiment()) r.settings.emplace_back(k, v);
  r.finished = std::filesystem::exists(dir / "model.bin");
  const ProgressTable t = ReadProgress(dir / "progress.csv");
  const std::vector<double> steps = t.Column("steps"), wall = t.Column("wall_time"), ret = t.Column("ep_return_mean");
  // runs written before periodic evaluation have no such column
  const std::vector<double> eval_ret = t.Find("eval_return_mean") ? t.Column("eval_return_mean")
                                                                    : std::vector<double>(t.rows.size(), NAN);
  for (size_t k = 0; k < t.rows.size(); ++k) {
    r.last_steps = static_cast<int64_t>(steps[k]);
    r.wall_seconds = wall[k];
    if (!std::isnan(ret[k])) {
      r.steps.push_back(steps[k]);
      r.returns.push_back(ret[k]);
    }
    if (!std::isnan(eval_ret[k])) {
      r.eval_steps.push_back(steps[k]);
      r.eval_returns.push_back(eval_ret[k]);
    }
  }
  const auto eval = dir / "eval.json";
  std::ifstream ev(eval);
  if (ev) {
    std::stringstream ss;
    ss << ev.rdbuf();
    const std::string text = ss.str();
    auto number = [&](const char* key, bool required) -> std::optional<double> {
      const std::string quoted = fmt::format("\"{}\":", key);
      const size_t k = text.find(quoted);
      if (k == std::string::npos) {
        if (required) throw Error(fmt::format("'{}' has no {}", eval.string(), key));
        return std::nullopt;
      }
      try {
        return std::stod(text.substr(k + quoted.size()));
      } catch (const std::exception&) {
        throw Error(fmt::format("'{}' has a {} that is not a number", eval.string(), key));
      }
    };
    r.eval_mean = number("mean", true);
    r.eval_stochastic_mean = number("stochastic_mean", false);  // written since Ratchet records it
  }
  return r;
}

std::vector<RunRecord> ReadRuns(const std::vector<std::string>& paths) {
  std::vector<RunRecord> runs;
  for (const std::filesystem::path& dir : FindRuns(paths)) runs.push_back(ReadRun(dir));
  // (label, env) -> the distinct settings seen, in order
  std::map<std::pair<std::string, std::string>, std::vector<const RunRecord*>> by_name;
  for (const RunRecord& r : runs) by_name[{r.label, r.env}].push_back(&r);
  std::map<const RunRecord*, std::string> suffix;
  for (const auto& [name, members] : by_name) {
    std::vector<std::vector<std::pair<std::string, std::string>>> distinct;
    for (const RunRecord* r : members)
      if (std::find(distinct.begin(), distinct.end(), r->settings) == distinct.end()) distinct.push_back(r->settings);
    if (distinct.size() < 2) continue;
    // the keys whose values differ somewhere in this group name the configuration
    std::vector<std::string> keys;
    for (size_t k = 0; k < distinct[0].size(); ++k)
      for (const auto& d : distinct)
        if (k < d.size() && d[k] != distinct[0][k]) {
          keys.push_back(distinct[0][k].first);
          break;
        }
    for (const RunRecord* r : members) {
      std::string s;
      for (const auto& [k, v] : r->settings)
        if (std::find(keys.begin(), keys.end(), k) != keys.end()) s += (s.empty() ? "" : ", ") + k + "=" + v;
      suffix[r] = " (" + s + ")";
    }
  }
  for (RunRecord& r : runs)
    if (const auto it = suffix.find(&r); it != suffix.end()) r.label += it->second;
  std::map<std::tuple<std::string, std::string, int64_t>, const RunRecord*> seen;
  for (const RunRecord& r : runs) {
    const auto [it, fresh] = seen.emplace(std::tuple{r.label, r.env, r.seed}, &r);
    if (!fresh)
      throw Error(fmt::format("'{}' and '{}' are the same configuration ({} on {}) with the same seed {}; a seed "
                              "counts once: remove one or give it another label (--set label=...)",
                              it->second->dir.string(), r.dir.string(), r.label, r.env, r.seed));
  }
  return runs;
}

double RunRecord::BestEval() const {
  double best = NAN;
  for (double e : eval_returns)
    if (std::isnan(best) || e > best) best = e;
  return best;
}

std::string SummaryTable(const std::vector<RunRecord>& runs) {
  struct Group {
    std::string algo, env;
    std::vector<double> finals, stochastic, train, best, sps;
    std::set<int64_t> steps;
    int runs = 0, unfinished = 0;
  };
  std::vector<Group> groups;
  for (const RunRecord& r : runs) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.algo == r.label && g.env == r.env; });
    if (it == groups.end()) {
      groups.push_back({r.label, r.env});
      it = groups.end() - 1;
    }
    it->steps.insert(r.last_steps);
    ++it->runs;
    it->unfinished += !r.finished;
    auto add = [](std::vector<double>& to, double v) {
      if (!std::isnan(v)) to.push_back(v);
    };
    add(it->finals, r.FinalReturn());
    add(it->stochastic, r.eval_stochastic_mean.value_or(NAN));
    add(it->train, r.LastTrainReturn());
    add(it->best, r.BestEval());
    if (r.wall_seconds > 0) it->sps.push_back(r.last_steps / r.wall_seconds);
  }
  // mean +- sample std over the seeds that have the value; "-" when none has it
  auto stat = [](const std::vector<double>& x) -> std::string {
    if (x.empty()) return "-";
    double m = 0, v = 0;
    for (double e : x) m += e;
    m /= x.size();
    for (double e : x) v += (e - m) * (e - m);
    const double sd = x.size() > 1 ? std::sqrt(v / (x.size() - 1)) : 0.0;
    return fmt::format("{:.1f} ± {:.1f}", m, sd);
  };
  std::string out =
      "| algo | env | seeds | steps | final return (mean ± std) | stochastic eval | train return (last 100) | "
      "best periodic eval | steps/s |\n"
      "|------|-----|------:|------:|--------------------------:|----------------:|------------------------:|"
      "-------------------:|--------:|\n";
  for (const Group& g : groups) {
    double sps = 0;
    for (double x : g.sps) sps += x;
    const std::string steps = g.steps.size() == 1 ? fmt::format("{}", *g.steps.begin())
                                                  : fmt::format("{}–{}", *g.steps.begin(), *g.steps.rbegin());
    out += fmt::format("| {} | {} | {}{} | {} | {} | {} | {} | {} | {} |\n", g.algo, g.env, g.runs,
                       g.unfinished ? fmt::format(" ({} unfinished)", g.unfinished) : "", steps, stat(g.finals),
                       stat(g.stochastic), stat(g.train), stat(g.best),
                       g.sps.empty() ? "-" : fmt::format("{:.0f}", sps / g.sps.size()));
  }
  return out;
}

std::string ProtocolNote() {
  return "Final return: the deterministic evaluation at the end of training (eval.json; the policy's mode, "
         "eval_episodes episodes from fixed seeds) where a run has one, else the mean return of its last 100 "
         "training episodes. Stochastic eval: the same episodes with actions sampled from the policy. Train "
         "return: the mean of the last 100 training episodes at the end. Best periodic eval: the highest of the "
         "deterministic evaluations during training (every eval_every steps). Mean ± sample std (n-1) over "
         "seeds.\n";
}

std::string PerRunCsv(const std::vector<RunRecord>& runs) {
  std::string out =
      "label,algo,env,seed,steps,final_return,eval_return,last_train_return,wall_seconds,stochastic_eval_return,"
      "best_eval_return\n";
  auto num = [](double v) { return std::isnan(v) ? std::string() : fmt::format("{:.6g}", v); };
  for (const RunRecord& r : runs)
    out += fmt::format("{},{},{},{},{},{},{},{},{:.3f},{},{}\n", r.label, r.algo, r.env, r.seed, r.last_steps,
                       num(r.FinalReturn()), r.eval_mean ? num(*r.eval_mean) : "", num(r.LastTrainReturn()),
                       r.wall_seconds, r.eval_stochastic_mean ? num(*r.eval_stochastic_mean) : "", num(r.BestEval()));
  return out;
}

}  // namespace ratchet
