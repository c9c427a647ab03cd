// Natural policy gradient and TRPO, one file with a flag, as in Spinning Up.
//
// NPG: Kakade 2001, "A Natural Policy Gradient"; step size from a KL budget as in Schulman et al.
//   2015 (TRPO paper, Appendix C) and Rajeswaran et al. 2017: solve F x = g by conjugate gradient
//   on Fisher-vector products (exact Fisher of the policy's output distribution, F v = J^T M J v,
//   plus damping), step = sqrt(2 delta / x^T F x) x, no line search.
// TRPO: Schulman, Levine, Moritz, Jordan & Abbeel 2015, "Trust Region Policy Optimization":
//   the same direction and maximal step, then a backtracking line search (exponential decay)
//   that accepts the first step whose surrogate improves and whose measured mean
//   KL(old || new) <= delta; when none does, the old parameters are kept and the update says so.
// Both fit the value function separately, with Adam, for vf_iters epochs of minibatches per
// rollout (as Stable-Baselines3's TRPO). Deviations: advantages are normalised over the batch
// (SB3's default); the Fisher is computed on the whole batch (no subsampling).
//
// grad_chunks = C cuts the batch into C fixed parts: each part's forward pass, gradient, Fisher-
// vector products and line-search sums are computed on their own (on the thread pool, and each
// MPI rank taking its share) and added in part order, so results depend on C alone; C = 1 is the
// whole batch at once.
#pragma once

#include "algo/parts.h"
#include "algo/trust_region.h"
#include "algo/value_fit.h"
#include "ratchet/algo.h"

namespace ratchet {

struct NpgTrpoConfig final : AlgoConfig {
  // Each field's key, doc, check and traits: Bind (one Add line per field).
  bool line_search = true;
  double max_kl = 0.01;
  int cg_iters = 15;
  double cg_damping = 0.1;
  int backtrack_iters = 10;
  double backtrack_coeff = 0.8;
  bool normalize_advantage = true;
  Schedule vf_learning_rate = Schedule::Constant(1e-3);
  int vf_iters = 10;
  int vf_batch_size = 128;
  double adam_eps = 1e-8;
  int grad_chunks = 1;

  void Bind(ConfigBinder& b) override;
  void Validate(const LearnerConfig& train) const override;
};

class NpgTrpo final : public Algorithm {
 public:
  NpgTrpo(const NpgTrpoConfig& cfg, const EnvSpec& spec, const LearnerConfig& train, Rng rng,
          ThreadPool* pool);
  UpdateStats Update(const Rollout& r, double progress_remaining) override;

  std::string NonFiniteState() const override;

 protected:
  void SerializeExtra(Archive& ar) override;

 private:
  // Each part's forward pass on the old parameters: the old distribution on its columns, and
  // the sum of its entropies (in parts_ statistics).
  void RecordOldParts();
  // (F + damping I) v: the parts' network blocks, the log-std block, the damping.
  void FisherTimes(std::span<const float> v, std::span<float> out);
  // Surrogate gain and mean KL at the policy's current parameters, over all parts.
  std::pair<double, double> GainAndKl();

  NpgTrpoConfig cfg_;
  ValueFitter fitter_;
  BatchParts parts_;
  struct PartScratch {
    MlpWorkspace<float> ws, ws_eval;  // ws: primed on the old parameters for gradient and Fisher
    Mat<float> d_dist, tmp;
  };
  std::vector<PartScratch> scratch_;
  Mat<float> obs_, actions_;
  OldPolicyBatch<float> old_;
  std::vector<float> adv_;
  AlignedVector<float> g_, x_, fx_, old_params_;
};

}  // namespace ratchet
