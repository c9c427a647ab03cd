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
#include "train/observers.h"
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

void SerializeTrainerPayload(Archive& ar, const TrainConfig& tc, Collector& collector, Algorithm& algo,
                             TrainerProgress& p, bool environments) {
  ar(p.updates);
  ar(p.steps);
  ar(p.episodes);
  ar(p.wall_before);
  // counters are checked against each other and the configuration before they drive anything
  const int64_t per = tc.rollout_steps();
  if (ar.loading() && (p.updates < 0 || p.steps != static_cast<int64_t>(p.updates) * per || p.steps > tc.n_timesteps ||
                       p.episodes < 0 || p.episodes > p.steps || !std::isfinite(p.wall_before) || p.wall_before < 0))
    throw Error(fmt::format("checkpoint is corrupt: update {}, steps {}, episodes {} do not fit its "
                            "configuration ({} steps per update)", p.updates, p.steps, p.episodes, per));
  uint64_t n_recent = p.recent.size();
  ar(n_recent);
  if (ar.loading()) {
    if (n_recent > 100) throw Error("checkpoint is corrupt (episode window)");
    p.recent.resize(n_recent);
  }
  for (EpisodeStat& e : p.recent) {
    ar(e.env);
    ar(e.ret);
    ar(e.length);
  }
  collector.Serialize(ar, environments);
  algo.Serialize(ar);
  if (ar.version() >= 3) {  // schedules after a resume that changed the total
    ar(p.anchor_steps);
    ar(p.anchor_remaining);
    if (ar.loading() &&
        (p.anchor_steps < 0 || p.anchor_steps > p.steps || !(p.anchor_remaining >= 0 && p.anchor_remaining <= 1)))
      throw Error("checkpoint is corrupt (schedule anchor)");
  }
  if (ar.version() >= 4) {  // the periodic evaluations' record
    ar(p.best_eval);
    ar(p.last_eval);
    if (ar.loading() &&
        (std::isinf(p.best_eval) || std::isinf(p.last_eval) || std::isnan(p.best_eval) != std::isnan(p.last_eval)))
      throw Error("checkpoint is corrupt (evaluation record)");
  }
}

void ReadTrainerPayload(const std::vector<uint8_t>& payload, uint32_t version, const TrainConfig& tc,
                        Collector& collector, Algorithm& algo, TrainerProgress* p, bool environments) {
  ByteReader r(payload, "checkpoint");
  Archive ar(r, version);
  *p = TrainerProgress();
  SerializeTrainerPayload(ar, tc, collector, algo, *p, environments);
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

// What a run trains with, built (or restored from a checkpoint) by SetUp on every rank.
struct RunParts {
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<VectorEnv> venv;
  std::unique_ptr<Algorithm> algo;
  std::unique_ptr<Collector> collector;
  std::unique_ptr<RunLog> log;  // rank 0 only
  TrainerProgress progress;     // the counters and records a checkpoint holds
};

// Checks the run directory (rank 0), builds the run, and restores it from a checkpoint's payload
// (format `version`; `old_total` is the checkpoint's n_timesteps when a resume changed it). A
// failure on any rank (a bad directory on rank 0, a corrupt checkpoint) stops every rank.
RunParts SetUp(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt, Comm& comm,
               const std::vector<uint8_t>* checkpoint, uint32_t version, std::optional<int64_t> old_total) {
  const TrainConfig& tc = cfg.train;
  const bool lead = comm.rank() == 0;
  RunParts run;
  TrainerProgress& p = run.progress;
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
    run.pool = std::make_unique<ThreadPool>(tc.threads);
    run.venv = std::make_unique<VectorEnv>(tc.env, tc.n_envs, run.pool.get(), &comm, -1, tc.kwargs());
    const Rng root(static_cast<uint64_t>(tc.seed));
    run.algo = FindAlgorithm(tc.algo).make(*cfg.algo, run.venv->spec(), tc, root.Split(1), run.pool.get());
    if (comm.size() > 1) run.algo->set_comm(&comm);
    run.collector = std::make_unique<Collector>(run.algo->policy(), run.algo->value(), *run.venv, tc.collector(),
                                                root.Split(2));
    if (checkpoint == nullptr) {
      if (lead) WriteFileAtomically(run_dir / "config.yaml", cfg.ToYaml(), "run config");
    } else {
      ReadTrainerPayload(*checkpoint, version, tc, *run.collector, *run.algo, &p);
      if (lead && !run.venv->restart_note().empty()) {
        if (opt.on_warning) {
          opt.on_warning(run.venv->restart_note());
        } else {
          std::cerr << "warning: " << run.venv->restart_note() << "\n";
        }
      }
      if (opt.restart_schedules && p.steps > 0) {
        p.anchor_steps = p.steps;
        p.anchor_remaining = 1.0;
      } else if (old_total && *old_total != tc.n_timesteps && p.steps > 0) {
        // the total changed: schedules continue from where they are
        p.anchor_remaining = ProgressRemaining(p.steps, *old_total, p.anchor_steps, p.anchor_remaining);
        p.anchor_steps = p.steps;
      }
    }
    if (lead) run.log = std::make_unique<RunLog>(run_dir, checkpoint == nullptr, p.updates, p.steps);
  });
  if (checkpoint == nullptr) run.collector->Reset(static_cast<uint64_t>(tc.seed));  // collective
  return run;
}

// The mean and standard deviation of the window's returns and its mean length (NaN when empty).
void WindowStats(const std::deque<EpisodeStat>& recent, double* ret_mean, double* ret_std, double* len_mean) {
  *ret_mean = *ret_std = *len_mean = NAN;
  if (recent.empty()) return;
  double sr = 0, sl = 0;
  for (const auto& e : recent) {
    sr += e.ret;
    sl += e.length;
  }
  *ret_mean = sr / recent.size();
  *len_mean = sl / recent.size();
  double sq = 0;
  for (const auto& e : recent) sq += (e.ret - *ret_mean) * (e.ret - *ret_mean);
  *ret_std = std::sqrt(sq / recent.size());
}

// A run in training: its parts, its counters and the observers that watch it.
class Trainer {
 public:
  Trainer(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt, Comm& comm,
          const std::vector<uint8_t>* checkpoint, uint32_t version, std::optional<int64_t> old_total)
      : cfg_(cfg), tc_(cfg.train), run_dir_(run_dir), comm_(comm), t0_(Clock::now()),
        run_(SetUp(cfg, run_dir, opt, comm, checkpoint, version, old_total)), p_(run_.progress) {
    g_stop_requested = false;
    const TrainerContext ctx{&tc_, run_dir_, &p_, t0_, lead(), comm.size() == 1,
                             &g_stop_requested, &final_eval_};
    observers_ = MakeTrainerObservers(ctx, opt, run_.log.get());
    rollout_.Resize(tc_.n_steps, tc_.n_envs, run_.venv->obs_dim(), run_.venv->act_dim());
    row_.resize(ProgressColumns().size());
  }

  // The training loop: collect, update, notify the observers (ratchet/train.h, TrainObserver), and
  // checkpoint when due or asked. Every rank runs it and holds the whole rollout; what only rank 0
  // does (its logs, the progress line) runs inside an agreement, so a failure there stops every rank.
  TrainResult Run() {
    for (int u = p_.updates + 1; u <= updates_; ++u) {
      const auto t_collect = Clock::now();
      const std::vector<EpisodeStat> finished = run_.collector->Collect(rollout_);  // collective
      UpdateEvent ev;
      Agree(comm_, [&] {
        const UpdateStats s = Learn(u, finished, t_collect);
        ev = Event(u, s);
        for (TrainObserver* o : observers_.order) o->OnUpdate(ev);
        ev.stats = nullptr;  // the update's statistics end here
      });
      const bool asked = ev.stop;
      const UpdateFlags flags = AgreeFlags(comm_, {ev.stop, ev.checkpoint});
      ev.stop = flags.stop;
      ev.checkpoint = flags.checkpoint;
      if (flags.stop || flags.checkpoint || (tc_.checkpoint_every > 0 && u % tc_.checkpoint_every == 0) || u == updates_)
        Checkpoint(ev);
      if (flags.stop)
        return End(true, !ev.stop_reason.empty() ? ev.stop_reason
                         : asked                 ? "an observer asked to stop"
                                                 : "another rank asked to stop");
    }
    Finish();
    return End(false);
  }

 private:
  bool lead() const { return comm_.rank() == 0; }
  double Wall() const { return p_.wall_before + std::chrono::duration<double>(Clock::now() - t0_).count(); }

  // Advantages, the update, and the run's counters; throws when the update diverged.
  UpdateStats Learn(int u, const std::vector<EpisodeStat>& finished, Clock::time_point t_collect) {
    for (const EpisodeStat& e : finished) {
      p_.recent.push_back(e);
      if (p_.recent.size() > 100) p_.recent.pop_front();
    }
    const auto t_update = Clock::now();
    res_.collect_seconds += std::chrono::duration<double>(t_update - t_collect).count();
    p_.steps += tc_.rollout_steps();
    ComputeGae(rollout_, tc_.gamma, tc_.gae_lambda);
    for (TrainObserver* o : observers_.order) o->OnRollout(rollout_);
    Algorithm& algo = *run_.algo;
    const UpdateStats s =
        algo.Update(rollout_, ProgressRemaining(p_.steps, tc_.n_timesteps, p_.anchor_steps, p_.anchor_remaining));
    res_.update_seconds += std::chrono::duration<double>(Clock::now() - t_update).count();
    if (const std::string bad = FirstNonFinite(algo, s, run_.collector->normalizer()); !bad.empty())
      throw Error(fmt::format("training diverged at update {}: {} is not finite; the last good checkpoint is "
                              "kept; lower the step size (learning_rate, max_kl, kl_clip) or max_grad_norm",
                              u, bad));
    p_.episodes += static_cast<int64_t>(finished.size());
    p_.updates = u;
    return s;
  }

  // The update's event, its row filled by column name: the trainer's own measurements, then the
  // update's statistics (observers add theirs).
  UpdateEvent Event(int u, const UpdateStats& s) {
    std::fill(row_.begin(), row_.end(), NAN);
    auto put = [this](const char* name, double value) { row_[ProgressColumn(name)] = value; };
    double ret_mean, ret_std, len_mean;
    WindowStats(p_.recent, &ret_mean, &ret_std, &len_mean);
    put("update", u);
    put("steps", static_cast<double>(p_.steps));
    put("wall_time", Wall());
    put("episodes", static_cast<double>(p_.episodes));
    put("ep_return_mean", ret_mean);
    put("ep_return_std", ret_std);
    put("ep_len_mean", len_mean);
    put("explained_variance", ExplainedVariance(rollout_.values, rollout_.returns));
    s.ForEach(put);
    return {.update = u, .updates = updates_, .steps = p_.steps, .total_steps = updates_ * tc_.rollout_steps(),
            .lead = lead(), .row = row_, .stats = &s, .algo = run_.algo.get(),
            .normalizer = &run_.collector->normalizer()};
  }

  // Collective: every rank's environment copies go into the payload; rank 0 writes it.
  void Checkpoint(const UpdateEvent& ev) {
    TrainerProgress saved = p_;
    saved.wall_before = Wall();
    ByteWriter w;
    Archive ar(w, kCheckpointFormatVersion);
    SerializeTrainerPayload(ar, tc_, *run_.collector, *run_.algo, saved);
    const std::vector<uint8_t>& payload = w.buf;
    Agree(comm_, [&] {
      if (lead()) WriteCheckpoint(run_dir_, p_.updates, cfg_.ToYaml(), payload, tc_.checkpoint_keep);
    });
    for (TrainObserver* o : observers_.order) o->OnCheckpoint(ev);
  }

  // model.bin and the final evaluation (rank 0): the periodic evaluation after the last update is
  // this evaluation (same seeds, same policy) when there was one.
  void Finish() {
    Agree(comm_, [&] {
      if (!lead()) return;
      const Algorithm& algo = *run_.algo;
      const ObsNormalizer& norm = run_.collector->normalizer();
      SaveModel(run_dir_ / "model.bin", algo.policy(), algo.value(), norm);
      if (tc_.eval_episodes <= 0) return;
      res_.eval = final_eval_ ? *final_eval_
                              : Evaluate(algo.policy(), tc_.env, tc_.eval_episodes, kEvalSeedBase, true, &norm,
                                         {.env_kwargs = tc_.kwargs()});
      res_.eval_stochastic = Evaluate(algo.policy(), tc_.env, tc_.eval_episodes, kEvalSeedBase, false, &norm,
                                      {.env_kwargs = tc_.kwargs()});
      run_.log->Eval(p_.steps, *res_.eval, kEvalSeedBase, &*res_.eval_stochastic);
    });
  }

  TrainResult End(bool stopped, std::string why = {}) {
    res_.stopped = stopped;
    res_.stop_reason = std::move(why);
    res_.updates = p_.updates;
    res_.steps = p_.steps;
    if (!std::isnan(p_.best_eval)) res_.best_eval = p_.best_eval;
    res_.env_seconds = run_.venv->sim_seconds();
    res_.comm_seconds = run_.venv->comm_seconds();
    res_.collect_seconds -= run_.collector->env_seconds();
    res_.wall_seconds = Wall();
    for (TrainObserver* o : observers_.order) o->OnEnd(res_);
    return res_;
  }

  RunConfig& cfg_;
  const TrainConfig& tc_;
  const std::filesystem::path run_dir_;
  Comm& comm_;
  const Clock::time_point t0_;
  RunParts run_;
  TrainerProgress& p_;
  const int updates_ = static_cast<int>(tc_.n_timesteps / tc_.rollout_steps());
  std::optional<EvalResult> final_eval_;  // the periodic evaluation after the last update
  TrainerObservers observers_;
  Rollout rollout_;
  std::vector<double> row_;
  TrainResult res_;
};

// From scratch (checkpoint null) or from a checkpoint's payload.
TrainResult RunTraining(RunConfig& cfg, const std::filesystem::path& run_dir, const TrainOptions& opt, Comm& comm,
                        const std::vector<uint8_t>* checkpoint, uint32_t version = 0,
                        std::optional<int64_t> old_total = std::nullopt) {
  PinProductBlocking();  // the same sums on every machine (see ratchet/nn.h)
  return Trainer(cfg, run_dir, opt, comm, checkpoint, version, old_total).Run();
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
    const ConfigBinder binder = cfg.Binder();
    const auto now = binder.Dump(), then = saved.Binder().Dump();
    for (size_t k = 0; k < now.size() && k < then.size(); ++k) {
      const std::string& key = now[k].first;
      if (binder.Traits(key).resume_editable || now[k].second == then[k].second) continue;
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
