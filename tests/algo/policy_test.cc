#include <algorithm>
#include <cmath>

#include "ratchet/policy.h"
#include "test_util.h"

namespace ratchet {
namespace {

// L = sum_j [ c_logp * log pi(a_j | s_j) + c_ent * H(pi(. | s_j)) ] through the whole policy:
// checks that AccumulateGrad + Backward (including the log-std tail) match finite differences.
double PolicyLoss(Policy& pi, const Mat<float>& obs, const Mat<float>& act, float c_logp, float c_ent) {
  MlpWorkspace<float> ws;
  const MatMap<float> dp = pi.Forward(obs, ws);
  double l = 0;
  for (int j = 0; j < obs.cols(); ++j)
    l += c_logp * pi.LogProb(dp.col(j).data(), act.col(j).data()) + c_ent * pi.Entropy(dp.col(j).data());
  return l;
}

void CheckPolicyGradient(const Space& action_space, const Mat<float>& act) {
  NetConfig net;
  net.hidden = {6};
  net.log_std_init = -0.3;
  Policy pi(Space::Box({-1, -1, -1}, {1, 1, 1}), action_space, net);
  Rng rng(2);
  pi.Init(rng);
  // a larger head than the 0.01 init so the outputs (and gradients) are not nearly constant
  for (int k = pi.mlp().weight_offset(1); k < pi.mlp().num_params(); ++k) pi.params()[k] *= 100.0f;
  Mat<float> obs(3, act.cols());
  for (int j = 0; j < obs.cols(); ++j)
    for (int i = 0; i < 3; ++i) obs(i, j) = std::sin(1.3f * i + 0.7f * j);
  const float c_logp = 0.7f, c_ent = -0.2f;
  MlpWorkspace<float> ws;
  const MatMap<float> dp = pi.Forward(obs, ws);
  Mat<float> d_dp = Mat<float>::Zero(pi.dist_dim(), obs.cols());
  pi.ZeroGrad();
  for (int j = 0; j < obs.cols(); ++j)
    pi.AccumulateGrad(dp.col(j).data(), act.col(j).data(), c_logp, c_ent, d_dp.col(j).data());
  pi.Backward(d_dp, ws);
  const std::vector<float> grad(pi.grads().begin(), pi.grads().end());
  for (int k = 0; k < pi.num_params(); ++k) {
    const float x0 = pi.params()[k], h = 1e-2f;
    pi.params()[k] = x0 + h;
    const double fp = PolicyLoss(pi, obs, act, c_logp, c_ent);
    pi.params()[k] = x0 - h;
    const double fm = PolicyLoss(pi, obs, act, c_logp, c_ent);
    pi.params()[k] = x0;
    const double fd = (fp - fm) / (2 * h);
    EXPECT_NEAR(grad[k], fd, 2e-3 + 2e-3 * std::fabs(fd)) << "param " << k;
  }
}

TEST(PolicyTest, CategoricalPolicyGradientMatchesFiniteDifferences) {
  Mat<float> act(1, 5);
  act << 0, 2, 1, 2, 0;
  CheckPolicyGradient(Space::Discrete(3), act);
}

TEST(PolicyTest, GaussianPolicyGradientIncludingLogStd) {
  Mat<float> act(2, 5);
  act << 0.3f, -0.5f, 0.9f, 0.0f, -1.2f, 0.1f, 0.4f, -0.8f, 0.6f, 0.2f;
  CheckPolicyGradient(Space::Box({-1, -1}, {1, 1}), act);
}

// ortho_init false: every weight and bias of a layer with n inputs in [-1/sqrt(n), 1/sqrt(n)),
// spread over that range (not orthogonal, biases not zero), in both networks; the log-std tail
// still log_std_init.
TEST(PolicyTest, UniformInitIsPyTorchsLinearDefault) {
  NetConfig net;
  net.hidden = {64, 16};
  net.ortho_init = false;
  net.log_std_init = -2;
  Policy pi(Space::Box(std::vector<float>(100, -1), std::vector<float>(100, 1)), Space::Box({-1, -1}, {1, 1}), net);
  ValueFunction vf(100, net);
  Rng rng(3);
  pi.Init(rng);
  vf.Init(rng);
  for (const Mlp<float>* mlp : {&pi.mlp(), &vf.mlp()}) {
    const std::span<const float> p = mlp == &pi.mlp() ? pi.params() : vf.params();
    for (int l = 0; l < mlp->num_layers(); ++l) {
      const double bound = 1.0 / std::sqrt(mlp->width(l));
      double max_w = 0, max_b = 0;
      for (int k = 0; k < mlp->width(l) * mlp->width(l + 1); ++k) {
        ASSERT_LE(std::abs(p[mlp->weight_offset(l) + k]), bound);
        max_w = std::max(max_w, std::abs(static_cast<double>(p[mlp->weight_offset(l) + k])));
      }
      for (int k = 0; k < mlp->width(l + 1); ++k) {
        ASSERT_LE(std::abs(p[mlp->bias_offset(l) + k]), bound);
        max_b = std::max(max_b, std::abs(static_cast<double>(p[mlp->bias_offset(l) + k])));
      }
      EXPECT_GT(max_w, 0.9 * bound) << "layer " << l;
      EXPECT_GT(max_b, (mlp->width(l + 1) > 2 ? 0.5 : 0.01) * bound) << "layer " << l;
    }
  }
  EXPECT_EQ(pi.params().back(), -2.0f);
  // the default: orthogonal weights and zero biases
  net.ortho_init = true;
  ValueFunction ortho(100, net);
  ortho.Init(rng);
  EXPECT_EQ(ortho.params()[ortho.mlp().bias_offset(0)], 0.0f);
}

TEST(PolicyTest, HeadsAndSizes) {
  NetConfig net;
  Policy d(Space::Box({-1, -1, -1, -1}, {1, 1, 1, 1}), Space::Discrete(2), net);
  EXPECT_TRUE(d.discrete());
  EXPECT_EQ(d.act_dim(), 1);
  EXPECT_EQ(d.num_params(), d.mlp().num_params());
  Policy g(Space::Box({-1}, {1}), Space::Box({-2, -2, -2}, {2, 2, 2}), net);
  EXPECT_EQ(g.act_dim(), 3);
  EXPECT_EQ(g.num_params(), g.mlp().num_params() + 3);  // the log-std tail
  Rng rng(1);
  g.Init(rng);
  for (float s : g.log_std()) EXPECT_EQ(s, 0.0f);
  EXPECT_THROW(Policy(Space::Discrete(3), Space::Discrete(2), net), Error);
}

}  // namespace
}  // namespace ratchet
