// ACKTR's continuous-control form (variant: separate): the step-size rule, the K-FAC critic
// against explicit matrices on a tiny network, and the rule's wiring in training.
#include <Eigen/Dense>
#include <cmath>

#include "algo/acktr.h"
#include "algo/value_fit.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

TEST(AcktrStepSizeTest, ShrinksAboveTwiceTheTargetGrowsBelowHalfKeepsInBetween) {
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.0041, 0.002, 1.5), 0.03 / 1.5);
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.0009, 0.002, 1.5), 0.03 * 1.5);
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.004, 0.002, 1.5), 0.03);  // the band's ends keep it
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.001, 0.002, 1.5), 0.03);
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.002, 0.002, 2.0), 0.03);
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.03, 0.0041, 0.002, 2.0), 0.015);
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(0.9, 0.0, 0.002, 1.5), 1.0);  // kept within [1e-8, 1]
  EXPECT_DOUBLE_EQ(AdaptAcktrStepSize(1.2e-8, 1.0, 0.002, 1.5), 1e-8);
}

// The tiny critic 3 -> 4 (tanh) -> 1 in double: loss gradient and this batch's K-FAC factors.
struct CriticByHand {
  int in = 3, hid = 4;
  std::vector<MatD> grad, A, G;  // per layer: [W b] gradient (out, in + 1), factors
};

CriticByHand ByHand(const Mlp<float>& mlp, const std::vector<double>& p, const MatD& x, const VecD& ret,
                    double wd, double fisher_coef) {
  CriticByHand h;
  const int B = static_cast<int>(x.cols());
  const MatD W0 = Eigen::Map<const MatD>(p.data() + mlp.weight_offset(0), 4, 3);
  const VecD b0 = Eigen::Map<const VecD>(p.data() + mlp.bias_offset(0), 4);
  const MatD W1 = Eigen::Map<const MatD>(p.data() + mlp.weight_offset(1), 1, 4);
  const double b1 = p[mlp.bias_offset(1)];
  h.grad = {MatD::Zero(4, 4), MatD::Zero(1, 5)};
  h.A = {MatD::Zero(4, 4), MatD::Zero(5, 5)};
  h.G = {MatD::Zero(4, 4), MatD::Zero(1, 1)};
  for (int b = 0; b < B; ++b) {
    const VecD xb = x.col(b);
    const VecD hb = (W0 * xb + b0).array().tanh();
    const double v = (W1 * hb)(0) + b1;
    const double dv = 2 * (v - ret(b)) / B;  // d mean (V - R)^2 / dV_b
    VecD a0(4), a1(5);
    a0 << xb, 1.0;
    a1 << hb, 1.0;
    const VecD back = W1.transpose().array() * (1 - hb.array().square());  // dV/d(pre-activation)
    h.grad[1] += dv * a1.transpose();
    h.grad[0] += dv * back * a0.transpose();
    h.A[0] += a0 * a0.transpose() / B;
    h.A[1] += a1 * a1.transpose() / B;
    h.G[0] += fisher_coef * back * back.transpose() / B;  // E[n^2] = fisher_coef, n the output gradient
    h.G[1](0, 0) += fisher_coef / B;
  }
  h.grad[0].leftCols(3) += wd * W0;  // weight decay on the weights only
  h.grad[1].leftCols(4) += wd * W1;
  return h;
}

using testing::Kron;

void CheckCriticSteps(double kl_clip) {
  const int B = 40, iters = 3;
  NetConfig net;
  net.hidden = {4};
  ValueFunction value(3, net);
  Rng rng(11);
  value.Init(rng);
  MatD x(3, B);
  VecD ret(B);
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < 3; ++i) x(i, b) = rng.Normal();
    ret(b) = 2.0 + rng.Normal();
  }
  KfacFitConfig cfg;
  cfg.learning_rate = 0.3;
  cfg.momentum = 0.9;
  cfg.kl_clip = kl_clip;
  cfg.damping = 0.05;
  cfg.stats_decay = 0.8;
  cfg.weight_decay = 0.01;
  cfg.fisher_coef = 4.0;
  const Mlp<float>& mlp = value.mlp();
  std::vector<double> p(value.params().begin(), value.params().end()), mom(p.size(), 0.0);
  KfacValueFitter fitter(value, cfg);
  const Mat<float> xf = x.cast<float>();
  std::vector<float> retf(ret.data(), ret.data() + B);
  fitter.Fit(xf, retf, iters);

  // the same steps by hand: running factors (the first batch whole), dense damped solves, the
  // quadratic-estimate rescale and momentum
  std::vector<MatD> A, G;
  bool clipped = false;
  for (int it = 0; it < iters; ++it) {
    const CriticByHand h = ByHand(mlp, p, x, ret, cfg.weight_decay, cfg.fisher_coef);
    if (it == 0) {
      A = h.A;
      G = h.G;
    } else {
      for (int l = 0; l < 2; ++l) {
        A[l] = cfg.stats_decay * A[l] + (1 - cfg.stats_decay) * h.A[l];
        G[l] = cfg.stats_decay * G[l] + (1 - cfg.stats_decay) * h.G[l];
      }
    }
    std::vector<MatD> nat(2);
    double quad = 0;
    for (int l = 0; l < 2; ++l) {
      const VecD g = Eigen::Map<const VecD>(h.grad[l].data(), h.grad[l].size());
      const MatD K = Kron(A[l], G[l]) + cfg.damping * MatD::Identity(g.size(), g.size());
      const VecD n = K.ldlt().solve(g);
      nat[l] = Eigen::Map<const MatD>(n.data(), h.grad[l].rows(), h.grad[l].cols());
      quad += cfg.learning_rate * cfg.learning_rate * g.dot(n);
    }
    const double s = std::min(1.0, std::sqrt(cfg.kl_clip / quad));
    clipped |= s < 1;
    for (int l = 0; l < 2; ++l) {
      const int in = mlp.width(l), out = mlp.width(l + 1);
      for (int j = 0; j <= in; ++j)
        for (int i = 0; i < out; ++i) {
          const int k = j < in ? mlp.weight_offset(l) + j * out + i : mlp.bias_offset(l) + i;
          mom[k] = cfg.momentum * mom[k] + s * nat[l](i, j);
          p[k] -= cfg.learning_rate * (1 - cfg.momentum) * mom[k];
        }
    }
  }
  EXPECT_EQ(clipped, kl_clip < 1);
  for (size_t k = 0; k < p.size(); ++k)
    EXPECT_NEAR(value.params()[k], p[k], 1e-4 * (1 + std::abs(p[k]))) << "parameter " << k;
  for (size_t k = 0; k < p.size(); ++k) EXPECT_NEAR(fitter.momentum()[k], mom[k], 1e-4 * (1 + std::abs(mom[k])));
}

TEST(KfacCriticTest, StepsEqualDenseDampedSolvesWithMomentum) { CheckCriticSteps(1e9); }

TEST(KfacCriticTest, StepsAreRescaledToTheQuadraticBound) { CheckCriticSteps(1e-4); }

TEST(KfacCriticTest, FitReducesTheRegressionLoss) {
  NetConfig net;
  ValueFunction value(3, net);
  Rng rng(4);
  value.Init(rng);
  const int B = 256;
  Mat<float> x(3, B);
  std::vector<float> ret(B);
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < 3; ++i) x(i, b) = static_cast<float>(rng.Normal());
    ret[b] = std::sin(x(0, b)) + 0.5f * x(1, b) * x(2, b);
  }
  KfacValueFitter fitter(value, {.learning_rate = 0.5});
  const double first = fitter.Fit(x, ret, 1);
  double last = 0;
  for (int k = 0; k < 10; ++k) last = fitter.Fit(x, ret, 25);
  EXPECT_LT(last, 0.1 * first);
}

// In training, every update's step size follows the rule from the previous update's measured KL.
TEST(AcktrSeparateTest, StepSizeFollowsTheMeasuredKl) {
  const auto dir = testing::FreshDir("acktr_separate_rule");
  ResolveOptions o;
  o.algo = "acktr";
  o.env = "Pendulum-v1";
  o.seed = 2;
  o.sets = {"variant=separate", "n_envs=2", "n_steps=256", "n_timesteps=10240", "learning_rate=0.05",
            "target_kl=0.002", "eval_episodes=0", "eval_every=-1"};
  RunConfig cfg = ResolveRunConfig(o);
  const std::vector<std::string> cols = ProgressColumns();
  const auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  };
  const size_t lr_col = col("learning_rate"), kl_col = col("approx_kl");
  std::vector<std::pair<double, double>> rows;  // (step size used, measured KL)
  TrainOptions opts;
  opts.on_update = [&](std::span<const double> row) {
    rows.emplace_back(row[lr_col], row[kl_col]);
    return true;
  };
  Train(cfg, dir, opts);
  ASSERT_EQ(rows.size(), 20u);
  EXPECT_EQ(rows[0].first, 0.05);
  int changed = 0;
  for (size_t k = 1; k < rows.size(); ++k) {
    EXPECT_DOUBLE_EQ(rows[k].first, AdaptAcktrStepSize(rows[k - 1].first, rows[k - 1].second, 0.002, 1.5))
        << "update " << k;
    changed += rows[k].first != rows[k - 1].first;
    EXPECT_GT(rows[k].second, 0.0);
  }
  EXPECT_GT(changed, 0);
}

// policy_fisher exact: after one update (the first batch is taken whole) the actor's G factors
// equal the explicit expectations over actions, (1/B) sum_b J_b^T M_b J_b with J_b the Jacobian of
// the distribution parameters in each layer's pre-activations and M_b the distribution's metric.
// A 3-input task with the given actions, a 3 -> 4 -> out network, and a batch of 2 x 5 steps.
struct TinyTask {
  EnvSpec spec;
  LearnerConfig learner;
  Rollout rollout;
  explicit TinyTask(const Space& action_space) {
    spec.id = "Tiny";
    spec.observation_space = Space::Box(std::vector<float>(3, -5.0f), std::vector<float>(3, 5.0f));
    spec.action_space = action_space;
    learner.net.hidden = {4};
    learner.n_envs = 2;
    learner.n_steps = 5;
    rollout.Resize(learner.n_steps, learner.n_envs, 3, action_space.flat_dim());
    Rng rng(9);
    for (float& x : rollout.obs) x = static_cast<float>(rng.Normal());
    for (float& a : rollout.actions) a = action_space.is_discrete() ? static_cast<float>(rng.Below(3)) : 0.5f;
    for (size_t k = 0; k < rollout.advantages.size(); ++k) {
      rollout.advantages[k] = static_cast<float>(rng.Normal());
      rollout.returns[k] = static_cast<float>(rng.Normal());
    }
  }
};

void CheckExactPolicyFactors(const Space& action_space, const std::string& variant) {
  TinyTask task(action_space);
  const EnvSpec& spec = task.spec;
  const Rollout& r = task.rollout;
  AcktrConfig cfg;
  cfg.variant = variant;
  cfg.policy_fisher = "exact";
  Acktr algo(cfg, spec, task.learner, Rng(3), nullptr);
  Policy& pi = algo.policy();
  auto p = pi.params();
  for (int k = 0; k < pi.mlp().num_params(); ++k) p[k] += 0.3f * std::sin(1.7f * k);  // a non-trivial head
  for (size_t k = pi.mlp().num_params(); k < p.size(); ++k) p[k] = -0.2f * static_cast<float>(k % 3) + 0.1f;
  const std::vector<float> before(p.begin(), p.end());

  algo.Update(r, 1.0);

  const Mlp<float>& net = pi.mlp();
  const int K = pi.dist_dim(), B = r.size();
  const MatD W0 = ConstMatMap<float>(before.data() + net.weight_offset(0), 4, 3).cast<double>();
  const VecD b0 = Eigen::Map<const Eigen::VectorXf>(before.data() + net.bias_offset(0), 4).cast<double>();
  const MatD W1 = ConstMatMap<float>(before.data() + net.weight_offset(1), K, 4).cast<double>();
  const VecD b1 = Eigen::Map<const Eigen::VectorXf>(before.data() + net.bias_offset(1), K).cast<double>();
  MatD G0 = MatD::Zero(4, 4), G1 = MatD::Zero(K, K);
  for (int b = 0; b < B; ++b) {
    const VecD x = Eigen::Map<const Eigen::VectorXf>(r.obs.data() + 3 * b, 3).cast<double>();
    const VecD h = (W0 * x + b0).array().tanh();
    const VecD out = W1 * h + b1;
    MatD M(K, K);
    if (spec.action_space.is_discrete()) {
      const VecD e = (out.array() - out.maxCoeff()).exp();
      const VecD prob = e / e.sum();
      M = MatD(prob.asDiagonal()) - prob * prob.transpose();
    } else {
      VecD inv_var(K);
      for (int i = 0; i < K; ++i) inv_var[i] = std::exp(-2.0 * before[net.num_params() + i]);
      M = inv_var.asDiagonal();
    }
    const MatD J0 = W1 * VecD((1 - h.array().square()).matrix()).asDiagonal();  // d out / d s0
    G1 += M / B;
    G0 += J0.transpose() * M * J0 / B;
  }
  // A is that of the batch itself: the repeats do not change it
  MatD A0 = MatD::Zero(4, 4), A1 = MatD::Zero(5, 5);
  for (int b = 0; b < B; ++b) {
    const VecD x = Eigen::Map<const Eigen::VectorXf>(r.obs.data() + 3 * b, 3).cast<double>();
    VecD a0(4), a1(5);
    a0 << x, 1.0;
    a1 << VecD((W0 * x + b0).array().tanh()), 1.0;
    A0 += a0 * a0.transpose() / B;
    A1 += a1 * a1.transpose() / B;
  }
  EXPECT_LT((algo.policy_kfac().A(0, 0) - A0).cwiseAbs().maxCoeff(), 1e-5 * (1 + A0.cwiseAbs().maxCoeff()));
  EXPECT_LT((algo.policy_kfac().A(0, 1) - A1).cwiseAbs().maxCoeff(), 1e-5 * (1 + A1.cwiseAbs().maxCoeff()));
  EXPECT_LT((algo.policy_kfac().G(0, 1) - G1).cwiseAbs().maxCoeff(), 1e-5 * (1 + G1.cwiseAbs().maxCoeff()));
  EXPECT_LT((algo.policy_kfac().G(0, 0) - G0).cwiseAbs().maxCoeff(), 1e-5 * (1 + G0.cwiseAbs().maxCoeff()));
}

TEST(AcktrExactFisherTest, GaussianFactorsAreTheExpectationOverActions) {
  CheckExactPolicyFactors(Space::Box({-1, -1, -1}, {1, 1, 1}), "separate");
}

TEST(AcktrExactFisherTest, CategoricalFactorsAreTheExpectationOverActions) {
  CheckExactPolicyFactors(Space::Discrete(3), "joint");
}

// The Gaussian log-std's step: the plain gradient when sampled, g / (2 + damping) when exact
// (joint variant, no momentum, a bound that does not bind: step = -lr * preconditioned grads).
TEST(AcktrExactFisherTest, LogStdTakesItsExactNaturalGradient) {
  TinyTask task(Space::Box({-1, -1}, {1, 1}));
  for (const std::string fisher : {"sampled", "exact"}) {
    AcktrConfig cfg;
    cfg.policy_fisher = fisher;
    cfg.momentum = 0;
    cfg.kl_clip = 1e9;
    cfg.max_grad_norm = 1e9;
    cfg.damping = 0.01;
    cfg.learning_rate = Schedule::Constant(0.1);
    Acktr algo(cfg, task.spec, task.learner, Rng(3), nullptr);
    Policy& pi = algo.policy();
    const int n = pi.mlp().num_params();
    const std::vector<float> before(pi.params().begin(), pi.params().end());
    algo.Update(task.rollout, 1.0);
    const double scale = fisher == "exact" ? 1.0 / (2.0 + cfg.damping) : 1.0;
    for (int i = n; i < pi.num_params(); ++i) {
      ASSERT_NE(pi.grads()[i], 0.0f);
      EXPECT_NEAR(pi.params()[i] - before[i], -0.1 * scale * pi.grads()[i], 1e-6) << fisher << " log-std " << i - n;
    }
    EXPECT_NE(pi.params()[n - 1], before[n - 1]);  // the network moved too
  }
}

// variant separate: `momentum` moves only the actor, `vf_momentum` only the critic.
TEST(AcktrSeparateTest, ActorAndCriticMomentaAreApart) {
  TinyTask task(Space::Box({-1, -1}, {1, 1}));
  const auto run = [&](double momentum, double vf_momentum) {
    AcktrConfig cfg;
    cfg.variant = "separate";
    cfg.momentum = momentum;
    cfg.vf_momentum = vf_momentum;
    cfg.vf_iters = 3;
    Acktr algo(cfg, task.spec, task.learner, Rng(3), nullptr);
    for (int k = 0; k < 3; ++k) algo.Update(task.rollout, 1.0);
    return std::make_pair(std::vector<float>(algo.policy().params().begin(), algo.policy().params().end()),
                          std::vector<float>(algo.value().params().begin(), algo.value().params().end()));
  };
  const auto a = run(0.0, 0.5), b = run(0.9, 0.5), c = run(0.0, 0.9);
  EXPECT_EQ(a.second, b.second);  // the actor's momentum leaves the critic alone
  EXPECT_NE(a.first, b.first);
  EXPECT_NE(a.second, c.second);  // the critic's moves the critic
}

// Whole-episode batches: every rollout starts fresh episodes, and each copy's steps count up to
// its last episode end.
TEST(WholeEpisodesTest, RolloutsStartFreshEpisodesAndKeepThemWhole) {
  VectorEnv venv("CartPole-v1", 3);
  const EnvSpec spec = EnvSpecOf("CartPole-v1");
  Policy pi(spec.observation_space, spec.action_space, NetConfig{});
  ValueFunction v(spec.observation_space.flat_dim(), NetConfig{});
  Rng rng(3);
  pi.Init(rng);
  v.Init(rng);
  CollectorOptions o;
  o.whole_episodes = true;
  Collector collector(pi, v, venv, o, Rng(3, 2));
  collector.Reset(3);
  Rollout r;
  r.Resize(40, 3, venv.obs_dim(), venv.act_dim());
  for (int k = 0; k < 3; ++k) {
    const std::vector<EpisodeStat> eps = collector.Collect(r);
    ASSERT_EQ(r.valid.size(), 120u);
    int kept = 0;
    for (int i = 0; i < 3; ++i) {
      int last = -1, first = -1;
      for (int t = 0; t < 40; ++t) {
        const bool done = r.terminated[t * 3 + i] || r.truncated[t * 3 + i];
        if (done && first < 0) first = t;
        if (done) last = t;
      }
      for (int t = 0; t < 40; ++t) EXPECT_EQ(r.valid[t * 3 + i], t <= last) << "copy " << i << " step " << t;
      kept += last + 1;
      // the copy's first episode began at the rollout's first step
      if (first >= 0) {
        bool found = false;
        for (const EpisodeStat& e : eps) found |= e.length == first + 1;
        EXPECT_TRUE(found) << "copy " << i;
      }
    }
    int reported = 0;
    for (const EpisodeStat& e : eps) reported += static_cast<int>(e.length);
    EXPECT_EQ(reported, kept);  // every finished episode lies whole in the kept steps
    EXPECT_GT(kept, 0);
  }
}

TEST(WholeEpisodesTest, OnlyAcktrSeparateAcceptsThem) {
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Pendulum-v1";
  o.sets = {"whole_episodes=true"};
  EXPECT_EQ(testing::ErrorOf([&] { ResolveRunConfig(o); }),
            "ppo does not train on whole-episode batches (whole_episodes: true); acktr with variant separate does");
  o.algo = "acktr";
  EXPECT_NE(testing::ErrorOf([&] { ResolveRunConfig(o); }).find("acktr does not train on whole-episode"),
            std::string::npos);
  o.sets.push_back("variant=separate");
  EXPECT_EQ(testing::ErrorOf([&] { ResolveRunConfig(o); }), "no error");
}

}  // namespace
}  // namespace ratchet
