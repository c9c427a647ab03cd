// The training loop (one for every algorithm): collect a rollout with the current policy,
// estimate advantages, hand the rollout to Algorithm::Update, log, repeat.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <fmt/format.h>
#include <iostream>
#include <ostream>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/train.h"
#include "train/checkpoint.h"
#include "train/run_log.h"
#include "train/trainer_state.h"
#include "train/yaml_util.h"

namespace ratchet {

const std::vector<std::string>& ProgressColumns() {
  static const std::vector<std::string> cols = {
      "update",        "steps",        "wall_time",      "episodes",    "ep_return_mean",
      "ep_return_std", "ep_len_mean",  "policy_loss",    "value_loss",  "entropy",
      "approx_kl",     "clip_fraction", "explained_variance", "grad_norm", "epochs",
      "learning_rate", "clip_range", "kl_coef", "backtracks", "step_accepted",
      "expected_improvement", "eval_return_mean", "eval_return_std"};
  return cols;
}

size_t ProgressColumn(const std::string& name) {
  const auto& cols = ProgressColumns();
  const auto it = std::find(cols.begin(), cols.end(), name);
  RATCHET_CHECK(it != cols.end(), "no progress column '" + name + "'");
  return static_cast<size_t>(it - cols.begin());
}

namespace {

using Clock = std::chrono::steady_clock;

// The first non-finite quantity after an update (empty when all are finite): parameters, the
// losses every algorithm reports, the other statistics (which may be NaN when not computed, never
// infinite), and the observation normaliser.
std::string FirstNonFinite(Algorithm& algo, const UpdateStats& s, const ObsNormalizer& norm) {
  auto first = [](std::span<const float> v) -> int64_t {
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) return static_cast<int64_t>(i);
    return -1;
  };
  if (const int64_t i = first(algo.policy().params()); i >= 0) return fmt::format("policy parameter {}", i);
  if (const int64_t i = first(algo.value().params()); i >= 0) return fmt::format("value parameter {}", i);
  if (std::string bad = algo.NonFiniteState(); !bad.empty()) return "the optimiser state (" + bad + ")";
  if (!std::isfinite(s.policy_loss)) return fmt::format("the policy loss ({})", s.policy_loss);
  std::string bad;
  s.ForEach([&bad](const char* name, double v) {
    if (bad.empty() && std::isinf(v)) bad = fmt::format("the update statistic {} ({})", name, v);
  });
  if (!bad.empty()) return bad;
  for (size_t i = 0; i < norm.rms.mean.size(); ++i)
    if (!std::isfinite(norm.rms.mean[i]) || !std::isfinite(norm.rms.var[i]))
      return fmt::format("the observation normaliser's statistic {}", i);
  return "";
}

std::string Duration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return fmt::format("{}h{:02d}m", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
}

}  // namespace

namespace {

std::atomic<bool> g_stop_requested{false};

// The remaining fraction of training for schedules at `steps` of `total`: 1 - steps/total, or,
// after a resume that changed the total (anchor_steps > 0), the anchor's fraction decaying
// linearly to 0 at the new total.
double ProgressRemaining(int64_t steps, int64_t total, int64_t anchor_steps, double anchor_remaining) {
  if (anchor_steps == 0) return std::max(0.0, 1.0 - static_cast<double>(steps) / static_cast<double>(total));
  if (total <= anchor_steps) return 0.0;
  return std::max(0.0, anchor_remaining * static_cast<double>(total - steps) / static_cast<double>(total - anchor_steps));
}

}  // namespace

void ReadTrainerPayload(const std::vector<uint8_t>& payload, uint32_t version, const TrainConfig& tc,
                        Collector& collector, Algorithm& algo, TrainerProgress* p, bool environments) {
  ByteReader r(payload, "checkpoint");
  p->updates = r.Get<int>();
  p->steps = r.Get<int64_t>();
  p->episodes = r.Get<int64_t>();
  p->wall_before = r.Get<double>();
  // counters are checked against each other and the configuration before they drive anything
  const int64_t per = static_cast<int64_t>(tc.n_steps) * tc.n_envs;
  if (p->updates < 0 || p->steps != static_cast<int64_t>(p->updates) * per || p->steps > tc.n_timesteps ||
      p->episodes < 0 ||
      p->episodes > p->steps || !std::isfinite(p->wall_before) || p->wall_before < 0)
    throw Error(fmt::format("checkpoint is corrupt: update {}, steps {}, episodes {} do not fit its "
                            "configuration ({} steps per update)", p->updates, p->steps, p->episodes, per));
  const uint64_t n_recent = r.Get<uint64_t>();
  if (n_recent > 100) throw Error("checkpoint is corrupt (episode window)");
  p->recent.clear();
  for (uint64_t k = 0; k < n_recent; ++k) {
    EpisodeStat e;
    e.env = r.Get<int>();
    e.ret = r.Get<double>();
    e.length = r.Get<int>();
    p->recent.push_back(e);
  }
  collector.Restore(r, environments);
  algo.Restore(r);
  if (version >= 3) {
    p->anchor_steps = r.Get<int64_t>();
    p->anchor_remaining = r.Get<double>();
    if (p->anchor_steps < 0 || p->anchor_steps > p->steps || !(p->anchor_remaining >= 0 && p->anchor_remaining <= 1))
      throw Error("checkpoint is corrupt (schedule anchor)");
  }
  if (version >= 4) {
    p->best_eval = r.Get<double>();
    p->last_eval = r.Get<double>();
    if (std::isinf(p->best_eval) || std::isinf(p->last_eval) || std::isnan(p->best_eval) != std::isnan(p->last_eval))
      throw Error("checkpoint is corrupt (evaluation record)");
  }
  r.ExpectEnd();
}

namespace {

// What the ranks agree on after each update: whether any of them was asked to stop, and whether
// rank 0 (whose clock counts) finds a checkpoint overdue.
struct UpdateFlags {
  bool stop = false, checkpoint = false;
};

UpdateFlags AgreeFlags(Comm& comm, UpdateFlags mine) {
  if (comm.size() == 1) return mine;
  const uint8_t bits[1] = {static_cast<uint8_t>(mine.stop | (mine.checkpoint << 1))};
  const auto all = comm.AllGather(bits);
  UpdateFlags out;
  for (size_t r = 0; r < all.size(); ++r) {
    RATCHET_CHECK(all[r].size() == 1, "update flags");
    out.stop |= (all[r][0] & 1) != 0;
    if (r == 0) out.checkpoint = (all[r][0] & 2) != 0;
  }
  return out;
}

// The training loop, from scratch (checkpoint null) or from a checkpoint's payload (format
// `version`); `old_total` is the checkpoint's n_timesteps when a resume changed it. Every rank of
// `comm` runs it; rank 0 alone writes the run directory.
TrainResult RunTraining(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt, Comm& comm,
                        const std::vector<uint8_t>* checkpoint, uint32_t version = 0,
                        std::optional<int64_t> old_total = std::nullopt) {
  PinProductBlocking();  // the same sums on every machine (see ratchet/nn.h)
  const TrainConfig& tc = cfg.train;
  const bool lead = comm.rank() == 0;
  const auto t0 = Clock::now();
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<VectorEnv> venv;
  std::unique_ptr<Algorithm> algo;
  std::unique_ptr<Collector> collector;
  std::unique_ptr<RunLog> log;  // rank 0 only
  std::deque<EpisodeStat> recent;
  int64_t episodes = 0;
  double wall_before = 0.0;  // wall time of the run before this process
  int64_t anchor_steps = 0;  // schedules: see ProgressRemaining
  double anchor_remaining = 1.0;
  double best_eval = NAN, last_eval = NAN;  // periodic evaluations so far (NaN: none yet)
  TrainResult res;
  // set-up: a failure on any rank (a bad directory on rank 0, a corrupt checkpoint) stops all
  Agree(comm, [&] {
    if (lead && checkpoint == nullptr &&
        (std::filesystem::exists(run_dir / "model.bin") || !LatestCheckpointPath(run_dir).empty()))
      throw Error(fmt::format("run directory '{}' already holds a run with a checkpoint or a model; resume it "
                              "or train into another directory (nothing was overwritten)", run_dir.string()));
    if (lead && checkpoint == nullptr) {
      const RunDirStatus st = InspectRunDir(run_dir);
      if (!st.empty && !st.ours)
        throw Error(fmt::format("run directory '{}' holds files that are not a Ratchet run; train into an empty or "
                                "new directory (nothing was touched)", run_dir.string()));
      // the marker first: a directory Train made, so that a run stopped before its first
      // checkpoint may be started again in it, and no other directory ever is
      if (!st.ours) WriteFileAtomically(run_dir / kRunMarker, kRunMarkerText, "run marker");
    }
    pool = std::make_unique<ThreadPool>(tc.threads);
    venv = std::make_unique<VectorEnv>(tc.env, tc.n_envs, pool.get(), &comm, -1, tc.kwargs());
    const Rng root(static_cast<uint64_t>(tc.seed));
    algo = FindAlgorithm(tc.algo).make(*cfg.algo, venv->spec(), tc, root.Split(1), pool.get());
    if (comm.size() > 1) algo->set_comm(&comm);
    collector = std::make_unique<Collector>(algo->policy(), algo->value(), *venv, tc.collector(), root.Split(2));
    if (checkpoint == nullptr) {
      if (lead) WriteFileAtomically(run_dir / "config.yaml", cfg.ToYaml(), "run config");
    } else {
      TrainerProgress p;
      ReadTrainerPayload(*checkpoint, version, tc, *collector, *algo, &p);
      res.updates = p.updates;
      res.steps = p.steps;
      episodes = p.episodes;
      wall_before = p.wall_before;
      recent = std::move(p.recent);
      anchor_steps = p.anchor_steps;
      anchor_remaining = p.anchor_remaining;
      best_eval = p.best_eval;
      last_eval = p.last_eval;
      if (lead && !venv->restart_note().empty()) {
        if (opt.on_warning) {
          opt.on_warning(venv->restart_note());
        } else {
          std::cerr << "warning: " << venv->restart_note() << "\n";
        }
      }
      if (opt.restart_schedules && res.steps > 0) {
        anchor_steps = res.steps;
        anchor_remaining = 1.0;
      } else if (old_total && *old_total != tc.n_timesteps && res.steps > 0) {
        // the total changed: schedules continue from where they are
        anchor_remaining = ProgressRemaining(res.steps, *old_total, anchor_steps, anchor_remaining);
        anchor_steps = res.steps;
      }
    }
    if (lead) log = std::make_unique<RunLog>(run_dir, checkpoint == nullptr, res.updates, res.steps);
  });
  if (checkpoint == nullptr) collector->Reset(static_cast<uint64_t>(tc.seed));  // collective

  // collective: every rank's environment copies go into the bytes; rank 0 writes them
  auto write_checkpoint = [&] {
    ByteWriter w;
    w.Put(res.updates);
    w.Put(res.steps);
    w.Put(episodes);
    w.Put(wall_before + std::chrono::duration<double>(Clock::now() - t0).count());
    w.Put<uint64_t>(recent.size());
    for (const EpisodeStat& e : recent) {
      w.Put(e.env);
      w.Put(e.ret);
      w.Put(e.length);
    }
    collector->Save(w);
    algo->Save(w);
    w.Put(anchor_steps);
    w.Put(anchor_remaining);
    w.Put(best_eval);
    w.Put(last_eval);
    Agree(comm, [&] {
      if (lead) WriteCheckpoint(run_dir, res.updates, cfg.ToYaml(), w.buf, tc.checkpoint_keep);
    });
  };
  auto finish_timing = [&] {
    res.env_seconds = venv->sim_seconds();
    res.comm_seconds = venv->comm_seconds();
    res.collect_seconds -= collector->env_seconds();
  };

  Rollout r;
  r.Resize(tc.n_steps, tc.n_envs, venv->obs_dim(), venv->act_dim());
  const int64_t per_update = static_cast<int64_t>(tc.n_steps) * tc.n_envs;
  const int updates = static_cast<int>(tc.n_timesteps / per_update);
  const int eval_interval = tc.EvalInterval(updates);
  std::optional<EvalResult> final_eval;  // the periodic evaluation after the last update
  auto last_print = Clock::now() - std::chrono::hours(1);
  auto last_checkpoint = Clock::now();
  const int64_t steps_at_start = res.steps;
  g_stop_requested = false;
  for (int u = res.updates + 1; u <= updates; ++u) {
    const auto t_collect = Clock::now();
    const std::vector<EpisodeStat> finished = collector->Collect(r);  // collective
    UpdateFlags flags;
    // every rank holds the whole rollout and runs the same update; what only rank 0 does (the
    // log, the progress line) is agreed on, so a failure there stops every rank
    Agree(comm, [&] {
      const int64_t finished_now = static_cast<int64_t>(finished.size());
      for (const EpisodeStat& e : finished) {
        recent.push_back(e);
        if (recent.size() > 100) recent.pop_front();
      }
      const auto t_update = Clock::now();
      res.collect_seconds += std::chrono::duration<double>(t_update - t_collect).count();
      res.steps += per_update;
      ComputeGae(r, tc.gamma, tc.gae_lambda);
      if (opt.on_rollout) opt.on_rollout(r);
      const double progress_remaining = ProgressRemaining(res.steps, tc.n_timesteps, anchor_steps, anchor_remaining);
      const UpdateStats s = algo->Update(r, progress_remaining);
      res.update_seconds += std::chrono::duration<double>(Clock::now() - t_update).count();
      if (const std::string bad = FirstNonFinite(*algo, s, collector->normalizer()); !bad.empty())
        throw Error(fmt::format("training diverged at update {}: {} is not finite; the last good checkpoint is "
                                "kept; lower the step size (learning_rate, max_kl, kl_clip) or max_grad_norm",
                                u, bad));

      // periodic deterministic evaluation with the frozen normaliser, on every rank (the same
      // result everywhere); rank 0 keeps the best model
      double eval_mean = NAN, eval_std = NAN;
      bool eval_interrupted = false;
      if (eval_interval > 0 && (u % eval_interval == 0 || u == updates)) {
        EvalLimits limits;
        limits.env_kwargs = tc.kwargs();
        if (comm.size() == 1)
          limits.stop = [&] { return g_stop_requested.load() || (opt.poll_stop && opt.poll_stop()); };
        EvalResult e = Evaluate(algo->policy(), tc.env, tc.eval_episodes, kEvalSeedBase, true, &collector->normalizer(),
                                limits);
        if (e.interrupted) {
          eval_interrupted = true;  // not recorded; training stops with a checkpoint
        } else {
          eval_mean = last_eval = e.mean;
          eval_std = e.std;
          if (std::isnan(best_eval) || e.mean > best_eval) {
            best_eval = e.mean;
            if (lead) SaveModel(run_dir / "best_model.bin", algo->policy(), algo->value(), collector->normalizer());
          }
          if (u == updates) final_eval = std::move(e);
        }
      }

      double ret_mean = NAN, ret_std = NAN, len_mean = NAN;
      if (!recent.empty()) {
        double sr = 0, sl = 0;
        for (const auto& e : recent) {
          sr += e.ret;
          sl += e.length;
        }
        ret_mean = sr / recent.size();
        len_mean = sl / recent.size();
        double sq = 0;
        for (const auto& e : recent) sq += (e.ret - ret_mean) * (e.ret - ret_mean);
        ret_std = std::sqrt(sq / recent.size());
      }
      episodes += finished_now;
      const double wall = wall_before + std::chrono::duration<double>(Clock::now() - t0).count();
      const double ev = ExplainedVariance(r.values, r.returns);
      // the row by column name: the trainer's own measurements, then the update's statistics
      std::vector<double> row(ProgressColumns().size(), NAN);
      auto put = [&row](const char* name, double value) { row[ProgressColumn(name)] = value; };
      put("update", u);
      put("steps", static_cast<double>(res.steps));
      put("wall_time", wall);
      put("episodes", static_cast<double>(episodes));
      put("ep_return_mean", ret_mean);
      put("ep_return_std", ret_std);
      put("ep_len_mean", len_mean);
      put("explained_variance", ev);
      s.ForEach(put);
      put("eval_return_mean", eval_mean);
      put("eval_return_std", eval_std);
      if (log) log->Append(row);
      res.updates = u;

      const auto now = Clock::now();
      if (lead && opt.progress != nullptr &&
          (u == updates || now - last_print > std::chrono::milliseconds(opt.progress_is_tty ? 200 : 5000))) {
        last_print = now;
        const double run_wall = std::chrono::duration<double>(now - t0).count();
        const double sps = (res.steps - steps_at_start) / std::max(run_wall, 1e-9);
        const double eta = (static_cast<double>(updates) * per_update - res.steps) / std::max(sps, 1e-9);
        std::string line = fmt::format(
            "{} {} seed {} | {:>9}/{} steps ({:3.0f}%) | {:>7.0f} steps/s | return {:>8}{} | ETA {}",
            tc.algo, tc.env, tc.seed, res.steps, static_cast<int64_t>(updates) * per_update,
            100.0 * res.steps / (static_cast<double>(updates) * per_update), sps,
            std::isnan(ret_mean) ? std::string("-") : fmt::format("{:.1f}", ret_mean),
            std::isnan(last_eval) ? std::string() : fmt::format(" | eval {:.1f} (best {:.1f})", last_eval, best_eval),
            Duration(eta));
        if (opt.progress_width > 0 && static_cast<int>(line.size()) >= opt.progress_width) {
          // a narrow terminal: the essentials first, then cut (a line that wraps is never redrawn)
          line = fmt::format("{} {} s{} | {}% | {:.0f}/s | ret {} | ETA {}", tc.algo, tc.env, tc.seed,
                             static_cast<int>(100.0 * res.steps / (static_cast<double>(updates) * per_update)), sps,
                             std::isnan(ret_mean) ? std::string("-") : fmt::format("{:.1f}", ret_mean), Duration(eta));
          if (static_cast<int>(line.size()) >= opt.progress_width) line.resize(std::max(opt.progress_width - 1, 0));
        }
        if (opt.progress_is_tty) {
          *opt.progress << "\r\033[K" << line << (u == updates ? "\n" : "") << std::flush;
        } else {
          *opt.progress << line << "\n" << std::flush;
        }
      }
      const bool asked_to_stop = opt.on_update && !opt.on_update(row) && u < updates;
      flags.stop = asked_to_stop || g_stop_requested.load() || eval_interrupted ||
                   (tc.stop_at > 0 && res.steps >= tc.stop_at && u < updates);
      flags.checkpoint = tc.checkpoint_minutes > 0 &&
                         now - last_checkpoint > std::chrono::duration<double>(60.0 * tc.checkpoint_minutes);
    });
    flags = AgreeFlags(comm, flags);
    if (flags.stop || flags.checkpoint || (tc.checkpoint_every > 0 && u % tc.checkpoint_every == 0) || u == updates) {
      write_checkpoint();
      last_checkpoint = Clock::now();
    }
    if (flags.stop) {
      if (lead && opt.progress != nullptr && opt.progress_is_tty) *opt.progress << "\n";
      res.stopped = true;
      if (!std::isnan(best_eval)) res.best_eval = best_eval;
      res.wall_seconds = wall_before + std::chrono::duration<double>(Clock::now() - t0).count();
      finish_timing();
      return res;
    }
  }
  finish_timing();
  if (!std::isnan(best_eval)) res.best_eval = best_eval;
  Agree(comm, [&] {
    if (!lead) return;
    SaveModel(run_dir / "model.bin", algo->policy(), algo->value(), collector->normalizer());
    res.wall_seconds = wall_before + std::chrono::duration<double>(Clock::now() - t0).count();
    if (tc.eval_episodes > 0) {
      // the periodic evaluation after the last update is this evaluation (same seeds, same policy)
      res.eval = final_eval ? *final_eval
                            : Evaluate(algo->policy(), tc.env, tc.eval_episodes, kEvalSeedBase, true,
                                       &collector->normalizer(), {.env_kwargs = tc.kwargs()});
      log->Eval(res.steps, *res.eval, kEvalSeedBase, true);
    }
  });
  if (!lead) res.wall_seconds = wall_before + std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

}  // namespace

void RequestStop() { g_stop_requested = true; }

RunDirStatus InspectRunDir(const std::filesystem::path& dir) {
  RunDirStatus st;
  std::error_code ec;
  st.exists = std::filesystem::is_directory(dir, ec);
  if (!st.exists) return st;
  st.empty = true;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name != ".lock" && name != "python_env.json") st.empty = false;
  }
  st.ours = std::filesystem::exists(dir / kRunMarker, ec);
  st.has_model = std::filesystem::exists(dir / "model.bin", ec);
  st.has_checkpoint = !LatestCheckpointPath(dir).empty();
  if (std::filesystem::exists(dir / ".lock", ec)) {
    try {
      const RunDirLock probe(dir);
    } catch (const Error& e) {
      st.in_use = e.what();
    }
  }
  return st;
}

namespace {

// Every rank must train the same configuration (each resolves its own command line): the
// configurations' checksums are compared, and a rank that differs ends the job on every rank.
void AgreeOnConfig(Comm& comm, RunConfig& cfg) {
  if (comm.size() == 1) return;
  const std::string yaml = cfg.ToYaml();
  const uint64_t mine = Checksum(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(yaml.data()), yaml.size()));
  const std::vector<std::vector<uint8_t>> all =
      comm.AllGather(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&mine), sizeof mine));
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw CollectiveError(fmt::format("rank {} resolved another configuration than rank 0 (another seed, setting "
                                        "or preset on its command line?): every rank must run the same command",
                                        r));
}

}  // namespace

TrainResult Train(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt) {
  Comm& comm = opt.comm != nullptr ? *opt.comm : World();
  AgreeOnConfig(comm, cfg);
  std::optional<RunDirLock> lock;
  Agree(comm, [&] {
    if (comm.rank() == 0) lock.emplace(run_dir);
  });
  return RunTraining(cfg, run_dir, opt, comm, nullptr);
}

TrainResult Resume(const std::filesystem::path& run_dir, const TrainOptions& opt, std::optional<int64_t> steps) {
  Comm& comm = opt.comm != nullptr ? *opt.comm : World();
  std::optional<RunDirLock> lock;
  RunConfig cfg;
  LoadedCheckpoint ck;
  int64_t old_total = 0;
  // rank 0 reads and checks the run directory; the other ranks get its configuration and checkpoint
  Agree(comm, [&] {
    if (comm.rank() != 0) return;
    if (!std::filesystem::is_directory(run_dir))
      throw Error(fmt::format("run directory '{}' does not exist", run_dir.string()));
    lock.emplace(run_dir);
    ck = LoadLatestCheckpoint(run_dir);
    // config.yaml must still be what the checkpoint trained with (keys that do not change the
    // results excepted; n_timesteps may change, as with --steps); algo and env first, since the
    // other keys only make sense for the algorithm they belong to
    RunConfig saved = RunConfigFromYaml(ck.config_yaml, ck.path.string());
    {
      const std::filesystem::path path = run_dir / "config.yaml";
      const YAML::Node root = LoadYaml(ReadTextFile(path, "run config"), path.string());
      const std::string algo = root.IsMap() && root["algo"] ? YamlScalar(root["algo"], path.string(), "algo") : "";
      const std::string env = root.IsMap() && root["env"] ? YamlScalar(root["env"], path.string(), "env") : "";
      if (algo != saved.train.algo || env != saved.train.env)
        throw Error(fmt::format("'{}' was edited after the checkpoint: it says {} on {}, the checkpoint holds {} on {}; "
                                "a resume continues the saved configuration only", path.string(),
                                algo.empty() ? "(no algo)" : algo, env.empty() ? "(no env)" : env, saved.train.algo,
                                saved.train.env));
    }
    cfg = LoadRunConfig(run_dir);
    const auto now = cfg.Binder().Dump(), then = saved.Binder().Dump();
    for (size_t k = 0; k < now.size() && k < then.size(); ++k) {
      const std::string& key = now[k].first;
      if (key == "n_timesteps" || key == "stop_at" || key == "threads" || key == "eval_episodes" || key == "eval_every" ||
          key == "label" || key.rfind("checkpoint_", 0) == 0 || now[k].second == then[k].second)
        continue;
      throw Error(fmt::format("'{}' was edited after the checkpoint: {} is {} there but {} in the checkpoint; a "
                              "resume continues the saved configuration only (restore the value, or start a new "
                              "run with --config)", (run_dir / "config.yaml").string(), key, now[k].second,
                              then[k].second));
    }
    old_total = saved.train.n_timesteps;
    cfg.train.stop_at = 0;
    if (steps) {
      ByteReader counters(ck.payload, "checkpoint");
      counters.Get<int>();  // updates, then the steps they trained
      const int64_t done = counters.Get<int64_t>();
      if (*steps < done)
        throw Error(fmt::format("--steps {} is below the {} steps '{}' has trained already: it is the new total, "
                                "so give at least {} (nothing was changed)", *steps, done, run_dir.string(), done));
      cfg.train.n_timesteps = *steps;
      cfg.train.Validate();
    }
    // the resolved config now records the new total
    WriteFileAtomically(run_dir / "config.yaml", cfg.ToYaml(), "run config");
  });
  if (comm.size() > 1) {
    ByteWriter w;
    if (comm.rank() == 0) {
      const std::string yaml = cfg.ToYaml();
      w.PutArray(std::span<const char>(yaml.data(), yaml.size()));
      w.PutArray(std::span<const uint8_t>(ck.payload));
      w.Put(ck.version);
      w.Put(old_total);
    }
    const std::vector<uint8_t> shared = Broadcast(comm, w.buf);
    Agree(comm, [&] {
      if (comm.rank() == 0) return;
      ByteReader r(shared, "rank 0's run");
      const std::vector<char> yaml = r.GetVector<char>();
      cfg = RunConfigFromYaml(std::string(yaml.begin(), yaml.end()), (run_dir / "config.yaml").string());
      ck.payload = r.GetVector<uint8_t>();
      ck.version = r.Get<uint32_t>();
      old_total = r.Get<int64_t>();
    });
  }
  return RunTraining(cfg, run_dir, opt, comm, &ck.payload, ck.version, old_total);
}

}  // namespace ratchet
