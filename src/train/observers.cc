// The trainer's own observers (src/train/observers.h).
#include "train/observers.h"

#include <cmath>
#include <fmt/format.h>

namespace ratchet {

using Clock = std::chrono::steady_clock;

std::string Duration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return fmt::format("{}h{:02d}m", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
}

namespace {

// Every eval_every steps and after the last update: a deterministic evaluation with the frozen
// normaliser, on every rank (the same result everywhere); its columns go into the row, its mean
// into the run's records, and rank 0 keeps the best model in best_model.bin. A stop request
// during it abandons it (nothing recorded) and stops training with a checkpoint; so does an
// evaluation that reaches stop_at_return (recorded).
class PeriodicEvaluation final : public TrainObserver {
 public:
  PeriodicEvaluation(const TrainerContext& ctx, std::function<bool()> poll_stop)
      : ctx_(ctx), poll_stop_(std::move(poll_stop)) {}

  void OnUpdate(UpdateEvent& ev) override {
    const TrainConfig& tc = *ctx_.tc;
    const int interval = tc.EvalInterval(ev.updates);
    if (interval <= 0 || (ev.update % interval != 0 && ev.update != ev.updates)) return;
    EvalLimits limits;
    limits.env_kwargs = tc.kwargs();
    if (ctx_.single_process)
      limits.stop = [this] { return ctx_.signalled->load() || (poll_stop_ && poll_stop_()); };
    EvalResult e = Evaluate(ev.algo->policy(), tc.env, tc.eval_episodes, kEvalSeedBase, true, ev.normalizer, limits);
    if (e.interrupted) {
      ev.Stop("a stop request during an evaluation");
      return;
    }
    TrainerProgress& p = *ctx_.progress;
    ev.row[ProgressColumn("eval_return_mean")] = p.last_eval = e.mean;
    ev.row[ProgressColumn("eval_return_std")] = e.std;
    if (std::isnan(p.best_eval) || e.mean > p.best_eval) {
      p.best_eval = e.mean;
      if (ev.lead) SaveModel(ctx_.run_dir / "best_model.bin", ev.algo->policy(), ev.algo->value(), *ev.normalizer);
    }
    // stop_at_return: the same evaluation on every rank, so every rank stops at the same update
    if (tc.stop_at_return && e.mean >= *tc.stop_at_return && ev.update < ev.updates)
      ev.Stop(fmt::format("stop_at_return: the evaluation after {} steps returned {:.2f} (>= {})", ev.steps, e.mean,
                          *tc.stop_at_return));
    if (ev.update == ev.updates) *ctx_.final_eval = std::move(e);
  }

 private:
  const TrainerContext ctx_;
  std::function<bool()> poll_stop_;
};

// progress.csv, progress.jsonl and the TensorBoard events (rank 0).
class RunLogWriter final : public TrainObserver {
 public:
  explicit RunLogWriter(RunLog& log) : log_(log) {}
  void OnUpdate(UpdateEvent& ev) override { log_.Append(ev.row); }

 private:
  RunLog& log_;
};

// The live progress line (rank 0): redrawn in place on a terminal at most every 200 ms, else a
// line every 5 s; always after the last update.
class ProgressLine final : public TrainObserver {
 public:
  ProgressLine(const TrainerContext& ctx, const TrainOptions& opt)
      : ctx_(ctx), out_(*opt.progress), tty_(opt.progress_is_tty), width_(opt.progress_width),
        steps_at_start_(ctx.progress->steps) {}

  void OnUpdate(UpdateEvent& ev) override {
    const auto now = Clock::now();
    const bool last = ev.update == ev.updates;
    if (!last && now - last_print_ <= std::chrono::milliseconds(tty_ ? 200 : 5000)) return;
    last_print_ = now;
    const TrainConfig& tc = *ctx_.tc;
    const TrainerProgress& p = *ctx_.progress;
    const double ret_mean = ev.row[ProgressColumn("ep_return_mean")];
    const double run_wall = std::chrono::duration<double>(now - ctx_.start).count();
    const double sps = (ev.steps - steps_at_start_) / std::max(run_wall, 1e-9);
    const double eta = (static_cast<double>(ev.total_steps) - ev.steps) / std::max(sps, 1e-9);
    const double percent = 100.0 * ev.steps / static_cast<double>(ev.total_steps);
    const std::string ret = std::isnan(ret_mean) ? std::string("-") : fmt::format("{:.1f}", ret_mean);
    std::string line = fmt::format(
        "{} {} seed {} | {:>9}/{} steps ({:3.0f}%) | {:>7.0f} steps/s | return {:>8}{} | ETA {}", tc.algo, tc.env,
        tc.seed, ev.steps, ev.total_steps, percent, sps, ret,
        std::isnan(p.last_eval) ? std::string() : fmt::format(" | eval {:.1f} (best {:.1f})", p.last_eval, p.best_eval),
        Duration(eta));
    if (width_ > 0 && static_cast<int>(line.size()) >= width_) {
      // a narrow terminal: the essentials first, then cut (a line that wraps is never redrawn)
      line = fmt::format("{} {} s{} | {}% | {:.0f}/s | ret {} | ETA {}", tc.algo, tc.env, tc.seed,
                         static_cast<int>(percent), sps, ret, Duration(eta));
      if (static_cast<int>(line.size()) >= width_) line.resize(std::max(width_ - 1, 0));
    }
    if (tty_) {
      out_ << "\r\033[K" << line << (last ? "\n" : "") << std::flush;
    } else {
      out_ << line << "\n" << std::flush;
    }
  }
  // a stop leaves the redrawn line finished
  void OnEnd(const TrainResult& res) override {
    if (tty_ && res.stopped) out_ << "\n";
  }

 private:
  const TrainerContext ctx_;
  std::ostream& out_;
  const bool tty_;
  const int width_;
  const int64_t steps_at_start_;
  Clock::time_point last_print_ = Clock::now() - std::chrono::hours(1);
};

// TrainOptions' callbacks: on_rollout, and on_update, whose false stops training.
class Callbacks final : public TrainObserver {
 public:
  explicit Callbacks(const TrainOptions& opt) : opt_(opt) {}
  void OnRollout(const Rollout& r) override {
    if (opt_.on_rollout) opt_.on_rollout(r);
  }
  void OnUpdate(UpdateEvent& ev) override {
    if (opt_.on_update && !opt_.on_update(ev.row) && ev.update < ev.updates) ev.Stop("the callback returned false");
  }

 private:
  const TrainOptions& opt_;
};

// A stop request (RequestStop: the CLI's SIGINT/SIGTERM) and stop_at end the run after this
// update, with a checkpoint.
class StopConditions final : public TrainObserver {
 public:
  explicit StopConditions(const TrainerContext& ctx) : ctx_(ctx) {}
  void OnUpdate(UpdateEvent& ev) override {
    const int64_t stop_at = ctx_.tc->stop_at;
    if (ctx_.signalled->load()) ev.Stop("a stop request (signal)");
    else if (stop_at > 0 && ev.steps >= stop_at && ev.update < ev.updates)
      ev.Stop(fmt::format("stop_at: {} steps reached", stop_at));
  }

 private:
  const TrainerContext ctx_;
};

// checkpoint_minutes: a checkpoint once that much wall time has passed since the last one.
class CheckpointClock final : public TrainObserver {
 public:
  explicit CheckpointClock(double minutes) : period_(60.0 * minutes) {}
  void OnUpdate(UpdateEvent& ev) override {
    if (period_.count() > 0 && Clock::now() - last_ > period_) ev.checkpoint = true;
  }
  void OnCheckpoint(const UpdateEvent&) override { last_ = Clock::now(); }

 private:
  const std::chrono::duration<double> period_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace

TrainerObservers MakeTrainerObservers(const TrainerContext& ctx, const TrainOptions& opt, RunLog* log) {
  TrainerObservers o;
  auto own = [&o](std::unique_ptr<TrainObserver> p) {
    o.order.push_back(p.get());
    o.owned.push_back(std::move(p));
  };
  own(std::make_unique<PeriodicEvaluation>(ctx, opt.poll_stop));
  if (log != nullptr) own(std::make_unique<RunLogWriter>(*log));
  if (ctx.lead && opt.progress != nullptr) own(std::make_unique<ProgressLine>(ctx, opt));
  own(std::make_unique<Callbacks>(opt));
  for (TrainObserver* user : opt.observers) o.order.push_back(user);
  own(std::make_unique<StopConditions>(ctx));
  own(std::make_unique<CheckpointClock>(ctx.tc->checkpoint_minutes));
  return o;
}

}  // namespace ratchet
