#include <Eigen/Dense>
#include <cmath>

#include "ratchet/kfac.h"
#include "test_util.h"

namespace ratchet {
namespace {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

// A tiny tanh network (3 -> 4 -> 2), a batch, and per-sample output gradients.
struct TinyNet {
  Mlp<float> mlp{MlpSpec{3, {4}, 2, Activation::kTanh}};
  AlignedVector<float> params, scratch;
  Mat<float> x, dy;
  MlpWorkspace<float> ws;
  explicit TinyNet(int B) : params(mlp.num_params()), scratch(mlp.num_params(), 0.0f) {
    Rng rng(5);
    mlp.Init(params, rng, 1.0);
    for (int k = mlp.bias_offset(0); k < mlp.bias_offset(0) + 4; ++k) params[k] = 0.1f * k;
    x.resize(3, B);
    dy.resize(2, B);
    for (int b = 0; b < B; ++b) {
      for (int i = 0; i < 3; ++i) x(i, b) = static_cast<float>(rng.Normal());
      for (int i = 0; i < 2; ++i) dy(i, b) = static_cast<float>(rng.Normal());
    }
    mlp.Forward(params, x, ws);
    mlp.Backward(params, scratch, dy, ws);
  }
  ConstMatMap<float> W(int l) const {
    return ConstMatMap<float>(params.data() + mlp.weight_offset(l), mlp.width(l + 1), mlp.width(l));
  }
  Eigen::Map<const Eigen::VectorXf> bias(int l) const {
    return Eigen::Map<const Eigen::VectorXf>(params.data() + mlp.bias_offset(l), mlp.width(l + 1));
  }
};

TEST(KfacTest, FactorsEqualExplicitExpectations) {
  const int B = 6;
  TinyNet s(B);
  Kfac kfac(0.0, 0.01, 1);  // decay 0: the factors are this batch's estimates
  kfac.Register(s.mlp, 0);
  kfac.UpdateStats(0, s.ws);
  // by hand, sample by sample: a0 = [x; 1], h = tanh(W0 x + b0), a1 = [h; 1];
  // g1 = dy (linear output), g0 = (W1^T dy) .* (1 - h^2)
  MatD A0 = MatD::Zero(4, 4), A1 = MatD::Zero(5, 5), G0 = MatD::Zero(4, 4), G1 = MatD::Zero(2, 2);
  for (int b = 0; b < B; ++b) {
    const VecD xb = s.x.col(b).cast<double>();
    const VecD h = ((s.W(0).cast<double>() * xb) + s.bias(0).cast<double>()).array().tanh();
    VecD a0(4), a1(5);
    a0 << xb, 1.0;
    a1 << h, 1.0;
    const VecD g1 = s.dy.col(b).cast<double>();
    const VecD g0 = (s.W(1).cast<double>().transpose() * g1).array() * (1 - h.array().square());
    A0 += a0 * a0.transpose() / B;
    A1 += a1 * a1.transpose() / B;
    G0 += g0 * g0.transpose() / B;
    G1 += g1 * g1.transpose() / B;
  }
  EXPECT_LT((kfac.A(0, 0) - A0).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((kfac.A(0, 1) - A1).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((kfac.G(0, 0) - G0).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((kfac.G(0, 1) - G1).cwiseAbs().maxCoeff(), 1e-5);
}

TEST(KfacTest, RunningAverageOfFactors) {
  TinyNet s1(5), s2(7);
  Kfac kfac(0.9, 0.01, 1), first(0.0, 0.01, 1), second(0.0, 0.01, 1);
  kfac.Register(s1.mlp, 0);
  first.Register(s1.mlp, 0);
  second.Register(s2.mlp, 0);
  kfac.UpdateStats(0, s1.ws);  // the first batch is taken whole
  kfac.UpdateStats(0, s2.ws);
  first.UpdateStats(0, s1.ws);
  second.UpdateStats(0, s2.ws);
  EXPECT_LT((kfac.A(0, 0) - (0.9 * first.A(0, 0) + 0.1 * second.A(0, 0))).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((kfac.G(0, 1) - (0.9 * first.G(0, 1) + 0.1 * second.G(0, 1))).cwiseAbs().maxCoeff(), 1e-12);
}

using testing::Kron;

void CheckPrecondition(double damping, bool undamped_reference) {
  const int B = 40;  // enough samples for full-rank factors
  TinyNet s(B);
  Kfac kfac(0.0, damping, 1);
  kfac.Register(s.mlp, 0);
  kfac.UpdateStats(0, s.ws);
  Rng rng(9);
  const int P = s.mlp.num_params();
  AlignedVector<float> g(P), out(P);
  for (float& v : g) v = static_cast<float>(rng.Normal());
  kfac.Precondition(g, out);
  for (int l = 0; l < 2; ++l) {
    const int in = s.mlp.width(l), o = s.mlp.width(l + 1);
    MatD grad(o, in + 1), got(o, in + 1);
    grad.leftCols(in) = ConstMatMap<float>(g.data() + s.mlp.weight_offset(l), o, in).cast<double>();
    grad.col(in) = Eigen::Map<const Eigen::VectorXf>(g.data() + s.mlp.bias_offset(l), o).cast<double>();
    got.leftCols(in) = ConstMatMap<float>(out.data() + s.mlp.weight_offset(l), o, in).cast<double>();
    got.col(in) = Eigen::Map<const Eigen::VectorXf>(out.data() + s.mlp.bias_offset(l), o).cast<double>();
    const MatD& A = kfac.A(0, l);
    const MatD& G = kfac.G(0, l);
    const VecD vec_g = Eigen::Map<const VecD>(grad.data(), grad.size());
    VecD expect;
    if (undamped_reference) {
      expect = Kron(MatD(A.inverse()), MatD(G.inverse())) * vec_g;  // (A^-1 (x) G^-1) g
    } else {
      const MatD K = Kron(A, G) + damping * MatD::Identity(vec_g.size(), vec_g.size());
      expect = K.ldlt().solve(vec_g);
    }
    const VecD vec_got = Eigen::Map<const VecD>(got.data(), got.size());
    EXPECT_LT((vec_got - expect).cwiseAbs().maxCoeff(), 2e-4 * (1 + expect.cwiseAbs().maxCoeff()))
        << "layer " << l;
  }
}

TEST(KfacTest, PreconditionedGradientEqualsDenseDampedSolve) { CheckPrecondition(0.01, false); }

TEST(KfacTest, UndampedPreconditionerIsTheKroneckerInverse) { CheckPrecondition(1e-9, true); }

TEST(KfacTest, EntriesOutsideLayersPassThrough) {
  TinyNet s(8);
  Kfac kfac(0.0, 0.01, 1);
  kfac.Register(s.mlp, 2);  // the network sits after two foreign entries
  kfac.UpdateStats(0, s.ws);
  AlignedVector<float> g(s.mlp.num_params() + 3, 1.0f), out(g.size());
  g[0] = 7.0f;
  g[1] = -3.0f;
  g.back() = 5.0f;
  kfac.Precondition(g, out);
  EXPECT_EQ(out[0], 7.0f);
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_EQ(out.back(), 5.0f);
}

TEST(KfacTest, DiagonalBlocksAreDividedByTheirFisherPlusDamping) {
  TinyNet s(8);
  Kfac kfac(0.0, 0.01, 1);
  kfac.Register(s.mlp, 0);
  kfac.RegisterDiagonal(s.mlp.num_params(), 2, 2.0);  // two entries after the network
  kfac.UpdateStats(0, s.ws);
  AlignedVector<float> g(s.mlp.num_params() + 3, 1.0f), out(g.size());
  g[s.mlp.num_params()] = 4.02f;
  g[s.mlp.num_params() + 1] = -2.01f;
  g.back() = 5.0f;
  kfac.Precondition(g, out);
  EXPECT_FLOAT_EQ(out[s.mlp.num_params()], 2.0f);
  EXPECT_FLOAT_EQ(out[s.mlp.num_params() + 1], -1.0f);
  EXPECT_EQ(out.back(), 5.0f);  // outside every block: unchanged
}

}  // namespace
}  // namespace ratchet
