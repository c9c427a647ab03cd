#include <Eigen/Dense>
#include <cmath>

#include "algo/trust_region.h"
#include "ratchet/dist.h"
#include "test_util.h"

namespace ratchet {
namespace {

using MatD = Mat<double>;
using VecD = Eigen::VectorXd;

TEST(ConjugateGradientTest, SolvesRandomSpdSystems) {
  for (int n : {3, 10, 40}) {
    Rng rng(n);
    MatD R(n, n);
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) R(i, j) = rng.Normal();
    const MatD A = R * R.transpose() + 0.1 * MatD::Identity(n, n);
    VecD b(n);
    for (int i = 0; i < n; ++i) b[i] = rng.Normal();
    std::vector<double> x(n);
    const int it = ConjugateGradient<double>(
        [&](std::span<const double> v, std::span<double> out) {
          Eigen::Map<VecD>(out.data(), n) = A * Eigen::Map<const VecD>(v.data(), n);
        },
        std::span<const double>(b.data(), n), x, 10 * n, 1e-20);
    const VecD expect = A.ldlt().solve(b);
    EXPECT_LT((Eigen::Map<VecD>(x.data(), n) - expect).norm(), 1e-8 * (1 + expect.norm())) << n;
    EXPECT_LE(it, 10 * n);
  }
}

TEST(ConjugateGradientTest, StopsAtIterationLimit) {
  const int n = 20;
  std::vector<double> b(n, 1.0), x(n);
  int calls = 0;
  ConjugateGradient<double>(
      [&](std::span<const double> v, std::span<double> out) {
        ++calls;
        for (int i = 0; i < n; ++i) out[i] = (i + 1) * v[i];
      },
      b, x, 3);
  EXPECT_EQ(calls, 3);
}

// A tiny policy in double, its observations, actions and advantages.
struct Problem {
  PolicyT<double> pi;
  MatD obs, act;
  std::vector<double> adv;
  Problem(const Space& action_space, const MatD& actions)
      : pi(Space::Box({-1, -1}, {1, 1}), action_space, Net()), act(actions) {
    Rng rng(3);
    pi.Init(rng);
    // scale the head up from its 0.01 init so the Fisher is far from degenerate
    for (int k = pi.mlp().weight_offset(pi.mlp().num_layers() - 1); k < pi.mlp().num_params(); ++k)
      pi.params()[k] *= 50;
    for (int k = pi.mlp().num_params(); k < pi.num_params(); ++k) pi.params()[k] = -0.2 + 0.3 * (k % 2);
    const int B = static_cast<int>(actions.cols());
    obs.resize(2, B);
    for (int b = 0; b < B; ++b) {
      obs(0, b) = std::sin(0.9 * b + 0.3);
      obs(1, b) = std::cos(1.7 * b);
      adv.push_back(std::sin(2.3 * b + 1.0));
    }
  }
  static NetConfig Net() {
    NetConfig n;
    n.hidden = {4};
    return n;
  }
  // Mean KL(pi_theta0 || pi_theta) over the batch.
  double MeanKl(const std::vector<double>& theta0, const std::vector<double>& theta) {
    PolicyT<double> p0 = pi, p1 = pi;
    std::copy(theta0.begin(), theta0.end(), p0.params().begin());
    std::copy(theta.begin(), theta.end(), p1.params().begin());
    MlpWorkspace<double> w0, w1;
    const MatD d0 = p0.Forward(obs, w0);
    const MatD d1 = p1.Forward(obs, w1);
    double kl = 0;
    for (int b = 0; b < obs.cols(); ++b) kl += p1.Kl(d0.col(b).data(), p0.log_std().data(), d1.col(b).data());
    return kl / obs.cols();
  }
  // The explicit Fisher as the Hessian of the mean KL at theta0, by second differences.
  MatD KlHessian() {
    const std::vector<double> t0(pi.params().begin(), pi.params().end());
    const int P = pi.num_params();
    const double h = 1e-4;
    MatD H(P, P);
    for (int i = 0; i < P; ++i)
      for (int j = 0; j <= i; ++j) {
        auto at = [&](double si, double sj) {
          std::vector<double> t = t0;
          t[i] += si * h;
          t[j] += sj * h;
          return MeanKl(t0, t);
        };
        H(i, j) = H(j, i) = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h);
      }
    return H;
  }
  // The explicit Fisher as (1/B) sum_b J_b^T M_b J_b with Jacobians by central differences.
  MatD JacobianFisher() {
    const int P = pi.num_params(), D = pi.dist_dim(), B = static_cast<int>(obs.cols());
    const bool gauss = !pi.discrete();
    const int rows = gauss ? 2 * D : D;  // Gaussian: (mean, log-std)
    std::vector<MatD> J(B, MatD::Zero(rows, P));
    const double h = 1e-6;
    for (int k = 0; k < P; ++k) {
      PolicyT<double> pp = pi, pm = pi;
      pp.params()[k] += h;
      pm.params()[k] -= h;
      MlpWorkspace<double> wp, wm;
      const MatD dp = pp.Forward(obs, wp), dm = pm.Forward(obs, wm);
      for (int b = 0; b < B; ++b) {
        J[b].block(0, k, D, 1) = (dp.col(b) - dm.col(b)) / (2 * h);
        if (gauss)
          for (int d = 0; d < D; ++d)
            J[b](D + d, k) = (pp.log_std()[d] - pm.log_std()[d]) / (2 * h);
      }
    }
    MlpWorkspace<double> ws;
    const MatD dist = pi.Forward(obs, ws);
    MatD F = MatD::Zero(P, P);
    for (int b = 0; b < B; ++b) {
      MatD M = MatD::Zero(rows, rows);
      if (gauss) {
        for (int d = 0; d < D; ++d) {
          M(d, d) = std::exp(-2 * pi.log_std()[d]);
          M(D + d, D + d) = 2;
        }
      } else {
        VecD p(D);
        for (int i = 0; i < D; ++i) p[i] = std::exp(Categorical::LogProb(dist.col(b).data(), D, i));
        M = MatD(p.asDiagonal()) - p * p.transpose();
      }
      F += J[b].transpose() * M * J[b];
    }
    return F / B;
  }
  VecD Fvp(const VecD& v) {
    MlpWorkspace<double> ws;
    pi.Forward(obs, ws);
    VecD out(v.size());
    pi.FisherVectorProduct(std::span<const double>(v.data(), v.size()), ws,
                           std::span<double>(out.data(), out.size()));
    return out;
  }
};

MatD DiscreteActions() {
  MatD a(1, 6);
  a << 0, 2, 1, 2, 0, 1;
  return a;
}
MatD BoxActions() {
  MatD a(2, 6);
  a << 0.3, -0.5, 0.9, 0.0, -1.2, 0.4, 0.1, 0.4, -0.8, 0.6, 0.2, -0.3;
  return a;
}

class FisherTest : public ::testing::TestWithParam<bool> {
 protected:
  Problem Make() {
    return GetParam() ? Problem(Space::Box({-1, -1}, {1, 1}), BoxActions())
                      : Problem(Space::Discrete(3), DiscreteActions());
  }
};

TEST_P(FisherTest, FisherVectorProductEqualsExplicitFisher) {
  Problem pr = Make();
  const MatD F_jac = pr.JacobianFisher();
  const MatD F_kl = pr.KlHessian();
  const int P = pr.pi.num_params();
  // the two explicit constructions agree with each other
  EXPECT_LT((F_jac - F_kl).cwiseAbs().maxCoeff(), 1e-5 * (1 + F_jac.cwiseAbs().maxCoeff()));
  Rng rng(8);
  for (int trial = 0; trial < 3; ++trial) {
    VecD v(P);
    for (int i = 0; i < P; ++i) v[i] = rng.Normal();
    const VecD fv = pr.Fvp(v);
    EXPECT_LT((fv - F_jac * v).cwiseAbs().maxCoeff(), 1e-8 * (1 + (F_jac * v).cwiseAbs().maxCoeff()));
  }
}

TEST_P(FisherTest, NaturalGradientDirectionEqualsDenseSolve) {
  Problem pr = Make();
  const int P = pr.pi.num_params();
  MlpWorkspace<double> ws;
  pr.pi.Forward(pr.obs, ws);
  std::vector<double> g(P);
  SurrogateGradient<double>(pr.pi, pr.act, pr.adv, ws, g);
  // g against finite differences of the surrogate mean(adv * ratio) at theta_old
  const std::vector<double> t0(pr.pi.params().begin(), pr.pi.params().end());
  MlpWorkspace<double> w0;
  const MatD d0 = pr.pi.Forward(pr.obs, w0);
  auto surrogate = [&](const std::vector<double>& t) {
    PolicyT<double> p = pr.pi;
    std::copy(t.begin(), t.end(), p.params().begin());
    MlpWorkspace<double> w;
    const MatD d = p.Forward(pr.obs, w);
    double s = 0;
    for (int b = 0; b < pr.obs.cols(); ++b)
      s += pr.adv[b] * std::exp(p.LogProb(d.col(b).data(), pr.act.col(b).data()) -
                                pr.pi.LogProb(d0.col(b).data(), pr.act.col(b).data()));
    return s / pr.obs.cols();
  };
  for (int k = 0; k < P; ++k) EXPECT_NEAR(g[k], testing::CentralDiff(surrogate, t0, k), 1e-8);

  const double damping = 0.1;
  const MatD F = pr.KlHessian() + damping * MatD::Identity(P, P);
  const VecD expect = F.ldlt().solve(Eigen::Map<const VecD>(g.data(), P));
  std::vector<double> x(P);
  pr.pi.Forward(pr.obs, ws);
  ConjugateGradient<double>(
      [&](std::span<const double> v, std::span<double> out) {
        pr.pi.FisherVectorProduct(v, ws, out);
        for (int i = 0; i < P; ++i) out[i] += damping * v[i];
      },
      g, x, 4 * P, 1e-24);
  EXPECT_LT((Eigen::Map<VecD>(x.data(), P) - expect).cwiseAbs().maxCoeff(), 1e-5 * (1 + expect.cwiseAbs().maxCoeff()));
}

TEST_P(FisherTest, TrpoStepRespectsTheTrustRegionAndRejectsABadDirection) {
  Problem pr = Make();
  const int P = pr.pi.num_params();
  const double max_kl = 0.01;
  MlpWorkspace<double> ws, ws_eval;
  OldPolicyBatch<double> old;
  RecordOldPolicy<double>(pr.pi, pr.obs, pr.act, ws, &old);
  std::vector<double> g(P), x(P), fx(P);
  SurrogateGradient<double>(pr.pi, pr.act, pr.adv, ws, g);
  auto fvp = [&](std::span<const double> v, std::span<double> out) {
    pr.pi.FisherVectorProduct(v, ws, out);
    for (int i = 0; i < P; ++i) out[i] += 0.1 * v[i];
  };
  ConjugateGradient<double>(fvp, g, x, 10);
  fvp(x, fx);
  double xfx = 0;
  for (int i = 0; i < P; ++i) xfx += x[i] * fx[i];
  const double scale = std::sqrt(2 * max_kl / xfx);
  const std::vector<double> theta0(pr.pi.params().begin(), pr.pi.params().end());
  auto search = [&](double sign) {
    return BacktrackingLineSearch(
        [&](double f) {
          for (int i = 0; i < P; ++i) pr.pi.params()[i] = theta0[i] + sign * f * scale * x[i];
          return SurrogateGainAndKl<double>(pr.pi, pr.obs, pr.act, pr.adv, old, ws_eval);
        },
        [&] { std::copy(theta0.begin(), theta0.end(), pr.pi.params().begin()); }, max_kl, 10, 0.8);
  };
  const LineSearchResult good = search(+1);
  ASSERT_TRUE(good.accepted);
  // measured again from scratch at the accepted parameters
  const auto [gain, kl] = SurrogateGainAndKl<double>(pr.pi, pr.obs, pr.act, pr.adv, old, ws_eval);
  EXPECT_LE(kl, max_kl);
  EXPECT_GT(gain, 0.0);
  EXPECT_NE(std::vector<double>(pr.pi.params().begin(), pr.pi.params().end()), theta0);
  // against the natural gradient, every fraction lowers the surrogate: rejected, restored exactly
  std::copy(theta0.begin(), theta0.end(), pr.pi.params().begin());
  const LineSearchResult bad = search(-1);
  EXPECT_FALSE(bad.accepted);
  EXPECT_EQ(std::vector<double>(pr.pi.params().begin(), pr.pi.params().end()), theta0);
}

// grad_chunks: the gradient, Fisher-vector product and line-search sums over parts of a batch
// (each part with its own Forward) add up to those of the whole batch.
TEST_P(FisherTest, PartsOfABatchAddUpToTheWholeBatch) {
  Problem pr = Make();
  const int P = pr.pi.num_params(), B = static_cast<int>(pr.obs.cols()), n = pr.pi.mlp().num_params();
  ASSERT_GE(B, 3);
  MlpWorkspace<double> ws, ws_eval;
  OldPolicyBatch<double> old;
  RecordOldPolicy<double>(pr.pi, pr.obs, pr.act, ws, &old);
  std::vector<double> g(P), fv(P), v(P);
  for (int i = 0; i < P; ++i) v[i] = std::sin(0.7 * i + 0.2);
  SurrogateGradient<double>(pr.pi, pr.act, pr.adv, ws, g);
  pr.pi.FisherVectorProduct(v, ws, fv);
  // move the parameters a little so that gain and KL are not zero
  PolicyT<double> moved = pr.pi;
  for (int i = 0; i < P; ++i) moved.params()[i] += 0.01 * std::cos(1.3 * i);
  const auto [gain, kl] = SurrogateGainAndKl<double>(moved, pr.obs, pr.act, pr.adv, old, ws_eval);
  const int cuts[] = {0, B / 3, 2 * B / 3, B};
  std::vector<double> g_sum(P, 0.0), fv_sum(P, 0.0), part(P);
  double gain_sum = 0, kl_sum = 0;
  for (int c = 0; c < 3; ++c) {
    const int begin = cuts[c], len = cuts[c + 1] - cuts[c];
    MlpWorkspace<double> w, w_eval;
    pr.pi.Forward(pr.obs.middleCols(begin, len), w);
    Mat<double> d_dist, tmp;
    std::fill(part.begin(), part.end(), 0.0);
    SurrogateGradientPart<double>(pr.pi, pr.act, pr.adv, begin, 1.0 / B, w, d_dist, part);
    for (int i = 0; i < P; ++i) g_sum[i] += part[i];
    pr.pi.FisherVectorProductSum(v, w, 1.0 / B, part, tmp);
    for (int i = n; i < P; ++i) EXPECT_EQ(part[i], 0.0);  // the log-std block is the caller's
    for (int i = 0; i < P; ++i) fv_sum[i] += part[i];
    const auto [pg, pk] = SurrogateGainAndKlPart<double>(moved, pr.obs, pr.act, pr.adv, old, begin, len, w_eval);
    gain_sum += pg;
    kl_sum += pk;
  }
  for (int i = n; i < P; ++i) fv_sum[i] = 2 * v[i];
  for (int i = 0; i < P; ++i) {
    EXPECT_NEAR(g_sum[i], g[i], 1e-12 * (1 + std::fabs(g[i]))) << i;
    EXPECT_NEAR(fv_sum[i], fv[i], 1e-12 * (1 + std::fabs(fv[i]))) << i;
  }
  EXPECT_GT(std::fabs(kl), 1e-8);
  EXPECT_NEAR(gain_sum / B, gain, 1e-14);
  EXPECT_NEAR(kl_sum / B, kl, 1e-14);
}

INSTANTIATE_TEST_SUITE_P(Heads, FisherTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Gaussian" : "Categorical"; });

TEST(LineSearchTest, AcceptsFirstGoodFractionAndRestoresOnFailure) {
  // improvement peaks at fraction 0.25; KL = fraction^2
  std::vector<double> tried;
  bool restored = false;
  auto eval = [&](double f) {
    tried.push_back(f);
    return std::pair<double, double>{f * (0.5 - f), f * f};
  };
  LineSearchResult r = BacktrackingLineSearch(eval, [&] { restored = true; }, 0.1, 10, 0.5);
  EXPECT_TRUE(r.accepted);
  EXPECT_EQ(r.backtracks, 2);  // 1 and 0.5 fail (no improvement / KL), 0.25 passes
  EXPECT_DOUBLE_EQ(r.fraction, 0.25);
  EXPECT_FALSE(restored);
  tried.clear();
  r = BacktrackingLineSearch([&](double f) { tried.push_back(f); return std::pair<double, double>{-f, 0.0}; },
                             [&] { restored = true; }, 0.1, 4, 0.5);
  EXPECT_FALSE(r.accepted);
  EXPECT_TRUE(restored);
  EXPECT_EQ(tried.size(), 5u);
}

}  // namespace
}  // namespace ratchet
