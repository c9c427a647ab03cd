#include "algo/losses.h"
#include "algo/npg_trpo.h"

#include <cmath>
#include <fmt/format.h>

#include "ratchet/bytes.h"

#include "algo/trust_region.h"

namespace ratchet {

void NpgTrpoConfig::Bind(ConfigBinder& b) {
  b.Add("max_kl", &max_kl, "trust region radius delta on the mean KL(old || new)", Positive());
  b.Add("cg_iters", &cg_iters, "conjugate gradient iterations", AtLeast(1));
  b.Add("cg_damping", &cg_damping, "damping added to the Fisher matrix", NonNegative());
  b.Add("backtrack_iters", &backtrack_iters, "TRPO: step fractions tried after the full step", AtLeast(0));
  b.Add("backtrack_coeff", &backtrack_coeff, "TRPO: step fraction decay per backtrack", InInterval(0, 1, "()"));
  b.Add("normalize_advantage", &normalize_advantage, "normalise advantages over the batch");
  b.Add("vf_learning_rate", &vf_learning_rate, "critic Adam step size; lin_X decays linearly", PositiveStart());
  b.Add("vf_iters", &vf_iters, "critic epochs per rollout", AtLeast(0));
  b.Add("vf_batch_size", &vf_batch_size, "critic minibatch size", AtLeast(1));
  b.Add("adam_eps", &adam_eps, "critic Adam epsilon", Positive());
}

void NpgTrpoConfig::Validate(const LearnerConfig&) const {}

NpgTrpo::NpgTrpo(const NpgTrpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
                 ThreadPool* pool)
    : Algorithm(spec, train, rng, pool), cfg_(cfg), fitter_(value_, cfg.adam_eps) {}

void NpgTrpo::SaveExtra(ByteWriter& w) const {
  fitter_.adam().Save(w);
}

void NpgTrpo::RestoreExtra(ByteReader& r) {
  fitter_.adam().Restore(r);
}

UpdateStats NpgTrpo::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size(), P = policy_.num_params();
  obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  actions_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
  adv_.assign(r.advantages.begin(), r.advantages.end());
  if (cfg_.normalize_advantage) NormalizeInPlace(adv_);

  // the old policy on the whole batch (this Forward also primes ws_ for the Fisher products)
  RecordOldPolicy<float>(policy_, obs_, actions_, ws_, &old_);
  double entropy = 0;
  for (int b = 0; b < M; ++b) entropy += policy_.Entropy(old_.dist.col(b).data());
  old_params_.assign(policy_.params().begin(), policy_.params().end());

  // g = grad of the surrogate at the old parameters; x = (F + damping I)^-1 g
  g_.resize(P);
  x_.resize(P);
  fx_.resize(P);
  SurrogateGradient<float>(policy_, actions_, adv_, ws_, g_);
  const float damping = static_cast<float>(cfg_.cg_damping);
  auto fvp = [&](std::span<const float> v, std::span<float> out) {
    policy_.FisherVectorProduct(v, ws_, out);
    for (int i = 0; i < P; ++i) out[i] += damping * v[i];
  };
  ConjugateGradient<float>(fvp, g_, x_, cfg_.cg_iters);
  fvp(x_, fx_);
  double xfx = 0, gx = 0;
  for (int i = 0; i < P; ++i) {
    xfx += static_cast<double>(x_[i]) * fx_[i];
    gx += static_cast<double>(g_[i]) * x_[i];
  }
  UpdateStats out;
  out.grad_norm = GlobalNorm({g_});
  out.entropy = entropy / M;
  if (!(xfx > 0) || !std::isfinite(xfx)) {
    out.step_accepted = 0;  // a degenerate direction (zero gradient): nothing to do
  } else {
    const double scale = std::sqrt(2.0 * cfg_.max_kl / xfx);
    // surrogate gain and mean KL at old + fraction * scale * x
    auto evaluate = [&](double fraction) {
      const float step = static_cast<float>(fraction * scale);
      for (int i = 0; i < P; ++i) policy_.params()[i] = old_params_[i] + step * x_[i];
      return SurrogateGainAndKl<float>(policy_, obs_, actions_, adv_, old_, ws_eval_);
    };
    if (cfg_.line_search) {
      const LineSearchResult ls = BacktrackingLineSearch(
          evaluate, [&] { std::copy(old_params_.begin(), old_params_.end(), policy_.params().begin()); },
          cfg_.max_kl, cfg_.backtrack_iters, cfg_.backtrack_coeff);
      out.step_accepted = ls.accepted;
      out.backtracks = ls.backtracks;
      out.approx_kl = ls.kl;
      out.policy_loss = -ls.improvement;
    } else {
      const auto [improvement, kl] = evaluate(1.0);
      out.step_accepted = 1;
      out.approx_kl = kl;
      out.policy_loss = -improvement;
    }
    out.expected_improvement = scale * gx;
  }
  const double lr = cfg_.vf_learning_rate(progress_remaining);
  out.value_loss = fitter_.Fit(r, cfg_.vf_iters, cfg_.vf_batch_size, lr, rng_);
  out.learning_rate = lr;
  out.epochs = cfg_.vf_iters;
  return out;
}

std::string NpgTrpo::NonFiniteState() const {
  if (auto bad = FirstNonFiniteIn(fitter_.adam().m(), "value Adam first moment"); !bad.empty()) return bad;
  return FirstNonFiniteIn(fitter_.adam().v(), "value Adam second moment");
}

}  // namespace ratchet
