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
  b.Add("grad_chunks", &grad_chunks,
        "parts of the batch whose gradient, Fisher-vector products and line-search sums are computed apart "
        "(threads, MPI ranks) and added in a fixed order: results depend on this, not on the thread or rank "
        "count; 1 keeps one part", InRange(1, 4096));
}

void NpgTrpoConfig::Validate(const LearnerConfig&) const {}

NpgTrpo::NpgTrpo(const NpgTrpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
                 ThreadPool* pool)
    : Algorithm(spec, train, rng, pool), cfg_(cfg), fitter_(value_, cfg.adam_eps), parts_(pool) {}

void NpgTrpo::SerializeExtra(Archive& ar) {
  fitter_.adam().Serialize(ar);
}

void NpgTrpo::RecordOldParts() {
  const int M = static_cast<int>(obs_.cols());
  old_.dist.resize(policy_.dist_dim(), M);
  old_.log_std.assign(policy_.log_std().begin(), policy_.log_std().end());
  old_.logp.resize(M);
  parts_.Cut(M, cfg_.grad_chunks, 0, 1);
  scratch_.resize(parts_.count());
  parts_.Run(1, [&](int c, int) {
    const int begin = parts_.begin(c), n = parts_.end(c) - begin;
    // this Forward also primes the part's workspace for the gradient and the Fisher products
    const MatMap<float> dist = policy_.Forward(obs_.middleCols(begin, n), scratch_[c].ws);
    old_.dist.middleCols(begin, n) = dist;
    double entropy = 0;
    for (int k = 0; k < n; ++k) {
      old_.logp[begin + k] = policy_.LogProb(old_.dist.col(begin + k).data(), actions_.col(begin + k).data());
      entropy += policy_.Entropy(old_.dist.col(begin + k).data());
    }
    parts_.stats(c)[0] = entropy;
  });
}

void NpgTrpo::FisherTimes(std::span<const float> v, std::span<float> out) {
  const int M = static_cast<int>(obs_.cols()), P = policy_.num_params();
  const float weight = 1.0f / static_cast<float>(M);
  parts_.Cut(M, cfg_.grad_chunks, P, 0);
  parts_.Run(1, [&](int c, int) {
    policy_.FisherVectorProductSum(v, scratch_[c].ws, weight, parts_.slot(c), scratch_[c].tmp);
  });
  parts_.Combine(out, {});
  // the log-std block: the Fisher of N(mu, sigma) in log sigma is 2 per dimension
  for (int k = policy_.mlp().num_params(); k < P; ++k) out[k] = 2.0f * v[k];
  const float damping = static_cast<float>(cfg_.cg_damping);
  for (int i = 0; i < P; ++i) out[i] += damping * v[i];
}

std::pair<double, double> NpgTrpo::GainAndKl() {
  const int M = static_cast<int>(obs_.cols());
  parts_.Cut(M, cfg_.grad_chunks, 0, 2);
  parts_.Run(1, [&](int c, int) {
    const int begin = parts_.begin(c), n = parts_.end(c) - begin;
    const auto [gain, kl] = SurrogateGainAndKlPart<float>(policy_, obs_, actions_, adv_, old_, begin, n,
                                                          scratch_[c].ws_eval);
    parts_.stats(c)[0] = gain;
    parts_.stats(c)[1] = kl;
  });
  double sums[2];
  parts_.Combine({}, sums);
  return {sums[0] / M, sums[1] / M};
}

UpdateStats NpgTrpo::Update(const Rollout& r, double progress_remaining) {
  const int M = r.size(), P = policy_.num_params();
  parts_.set_comm(comm_);
  obs_ = ConstMatMap<float>(r.obs.data(), r.obs_dim, M);
  actions_ = ConstMatMap<float>(r.actions.data(), r.act_dim, M);
  adv_.assign(r.advantages.begin(), r.advantages.end());
  if (cfg_.normalize_advantage) NormalizeInPlace(adv_);

  // the old policy on the batch, part by part (each part's Forward primes its workspace)
  RecordOldParts();
  double entropy = 0;
  parts_.Combine({}, std::span<double>(&entropy, 1));
  old_params_.assign(policy_.params().begin(), policy_.params().end());

  // g = grad of the surrogate at the old parameters; x = (F + damping I)^-1 g
  g_.resize(P);
  x_.resize(P);
  fx_.resize(P);
  parts_.Cut(M, cfg_.grad_chunks, P, 0);
  const float inv_m = 1.0f / static_cast<float>(M);
  parts_.Run(1, [&](int c, int) {
    SurrogateGradientPart<float>(policy_, actions_, adv_, parts_.begin(c), inv_m, scratch_[c].ws,
                                 scratch_[c].d_dist, parts_.slot(c));
  });
  parts_.Combine(g_, {});
  auto fvp = [&](std::span<const float> v, std::span<float> out) { FisherTimes(v, out); };
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
      return GainAndKl();
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
