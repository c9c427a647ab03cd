// Kronecker-factored approximate curvature (K-FAC; Martens & Grosse 2015) for the fully
// connected layers of Ratchet's MLPs, as used by ACKTR (Wu et al. 2017).
//
// For layer l with input a (in, plus a constant 1 for the bias) and pre-activation gradient g
// (out) of the sampled-Fisher loss, the layer's Fisher block is approximated by A (x) G with
// A = E[a a^T] and G = E[g g^T]. The preconditioned gradient of [W b] (out, in + 1) is
//   unvec((A (x) G + damping I)^-1 vec(grad)) = Q_G ((Q_G^T grad Q_A) ./ (d_G d_A^T + damping)) Q_A^T
// with A = Q_A diag(d_A) Q_A^T and G = Q_G diag(d_G) Q_G^T (Tikhonov damping on the Kronecker
// product, applied exactly through the eigenbases, as the ACKTR reference implementation).
#pragma once

#include <Eigen/Core>
#include <span>
#include <vector>

#include "ratchet/nn.h"

namespace ratchet {

class Kfac {
 public:
  // stats_decay: running-average factor rho (A <- rho A + (1 - rho) A_batch; the first batch is
  // taken whole). damping: the Tikhonov term. inverse_every: refresh eigendecompositions every k
  // calls of Precondition.
  Kfac(double stats_decay, double damping, int inverse_every);

  // Registers an MLP whose parameters sit at `offset` in the caller's flat vector; returns its id.
  int Register(const Mlp<float>& mlp, int offset);

  // Registers `count` entries at `offset` of the caller's flat vector whose Fisher is the constant
  // diagonal `fisher` (a Gaussian policy's log-std: 2): Precondition divides them by
  // fisher + damping instead of passing them through.
  void RegisterDiagonal(int offset, int count, double fisher);

  // Folds the batch estimates of A and G of every layer of network `id` into the running
  // averages, from a workspace that has seen Forward and then Backward of per-sample (not
  // batch-averaged) output gradients whose outer products have the Fisher metric as mean: the
  // score of a sampled output, or columns of a square root of the metric.
  void UpdateStats(int id, const MlpWorkspace<float>& ws);

  // out = the preconditioned gradient for every registered layer and diagonal block; entries of
  // `grads` that belong to neither are copied unchanged. grads and out span the caller's flat vector.
  void Precondition(std::span<const float> grads, std::span<float> out);

  // Running factors, eigendecompositions and the refresh counter, for checkpoints.
  void Serialize(Archive& ar);

  // Factor of layer l of network id (for tests): A is (in+1, in+1), G is (out, out).
  const Eigen::MatrixXd& A(int id, int l) const { return nets_[id].layers[l].A; }
  // Whether every running factor is finite.
  bool AllFinite() const {
    for (const Net& n : nets_)
      for (const auto& l : n.layers)
        if (!l.A.allFinite() || !l.G.allFinite()) return false;
    return true;
  }
  const Eigen::MatrixXd& G(int id, int l) const { return nets_[id].layers[l].G; }

 private:
  struct Layer {
    int in, out, w_offset, b_offset;
    Eigen::MatrixXd A, G;          // running factors
    Eigen::MatrixXd QA, QG;        // eigenvectors
    Eigen::VectorXd dA, dG;        // eigenvalues
    bool has_stats = false;
  };
  struct Net {
    std::vector<Layer> layers;
  };
  void RefreshEigen();

  double decay_, damping_;
  int inverse_every_, calls_ = 0;
  std::vector<Net> nets_;
  struct Diagonal {
    int offset, count;
    double fisher;
  };
  std::vector<Diagonal> diagonals_;
};

// One step of ACKTR's K-FAC optimiser on a registered parameter vector: nat = the preconditioned
// grads; the step is rescaled by s = min(1, sqrt(kl_clip / (lr^2 grads . nat))) so that its
// quadratic KL estimate stays within kl_clip; then, with momentum as baselines applies it,
// mom <- momentum mom + s nat and params <- params - lr (1 - momentum) mom. Returns the unscaled
// estimate lr^2 grads . nat.
double KfacMomentumStep(Kfac& kfac, std::span<float> params, std::span<const float> grads, std::span<float> nat,
                        std::span<float> mom, double lr, double momentum, double kl_clip);

}  // namespace ratchet
