#include <cmath>

#include "ratchet/nn.h"
#include "test_util.h"

namespace ratchet {
namespace {

using MatD = Mat<double>;

struct Net {
  Mlp<double> mlp;
  std::vector<double> params;
  Net(MlpSpec spec, uint64_t seed) : mlp(spec), params(mlp.num_params()) {
    Rng rng(seed);
    mlp.Init(params, rng, 1.0);
    // non-zero biases so their gradients are exercised away from a special point
    for (int l = 0; l < mlp.num_layers(); ++l)
      for (int k = 0; k < mlp.width(l + 1); ++k)
        params[mlp.bias_offset(l) + k] = 0.1 * std::sin(3.0 * k + l);
  }
};

MatD RandomMat(int r, int c, uint64_t seed) {
  Rng rng(seed);
  MatD m(r, c);
  for (int j = 0; j < c; ++j)
    for (int i = 0; i < r; ++i) m(i, j) = rng.Normal();
  return m;
}

// Scalar loss L = sum(C .* f(x)) so dL/dy = C.
double Loss(const Mlp<double>& mlp, const std::vector<double>& p, const MatD& x, const MatD& C) {
  MlpWorkspace<double> ws;
  return (mlp.Forward(p, x, ws).array() * C.array()).sum();
}

class MlpGradTest : public ::testing::TestWithParam<Activation> {};

TEST_P(MlpGradTest, BackwardMatchesFiniteDifferences) {
  Net net({3, {5, 4}, 2, GetParam()}, 11);
  const MatD x = RandomMat(3, 6, 1), C = RandomMat(2, 6, 2);
  MlpWorkspace<double> ws;
  std::vector<double> grads(net.mlp.num_params(), 0.0);
  net.mlp.Forward(net.params, x, ws);
  MatD dx;
  net.mlp.Backward(net.params, grads, C, ws, &dx);
  auto f = [&](const std::vector<double>& p) { return Loss(net.mlp, p, x, C); };
  for (size_t i = 0; i < net.params.size(); ++i)
    EXPECT_NEAR(grads[i], testing::CentralDiff(f, net.params, i), 1e-7) << "param " << i;
  // input gradient
  for (int j = 0; j < x.cols(); ++j)
    for (int i = 0; i < x.rows(); ++i) {
      MatD xp = x, xm = x;
      xp(i, j) += 1e-6;
      xm(i, j) -= 1e-6;
      const double fd = (Loss(net.mlp, net.params, xp, C) - Loss(net.mlp, net.params, xm, C)) / 2e-6;
      EXPECT_NEAR(dx(i, j), fd, 1e-7);
    }
}

TEST_P(MlpGradTest, BackwardAccumulates) {
  Net net({3, {4}, 2, GetParam()}, 12);
  const MatD x = RandomMat(3, 5, 3), C = RandomMat(2, 5, 4);
  MlpWorkspace<double> ws;
  std::vector<double> once(net.mlp.num_params(), 0.0), twice(net.mlp.num_params(), 0.0);
  net.mlp.Forward(net.params, x, ws);
  net.mlp.Backward(net.params, once, C, ws);
  net.mlp.Backward(net.params, twice, C, ws);
  net.mlp.Backward(net.params, twice, C, ws);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(twice[i], 2 * once[i], 1e-12);
}

TEST_P(MlpGradTest, JvpMatchesFiniteDifferences) {
  Net net({3, {5, 4}, 2, GetParam()}, 13);
  const MatD x = RandomMat(3, 4, 5);
  Rng rng(6);
  std::vector<double> v(net.mlp.num_params());
  for (double& e : v) e = rng.Normal();
  MlpWorkspace<double> ws;
  net.mlp.Forward(net.params, x, ws);
  const MatD jv = net.mlp.Jvp(net.params, v, ws);
  const double h = 1e-6;
  std::vector<double> pp = net.params, pm = net.params;
  for (size_t i = 0; i < v.size(); ++i) {
    pp[i] += h * v[i];
    pm[i] -= h * v[i];
  }
  MlpWorkspace<double> wp, wm;
  const MatD fd = (net.mlp.Forward(pp, x, wp) - net.mlp.Forward(pm, x, wm)) / (2 * h);
  EXPECT_LT((jv - fd).cwiseAbs().maxCoeff(), 1e-7);
}

TEST_P(MlpGradTest, JvpTransposeIdentity) {
  // <C, J v> must equal <J^T C, v>: ties the forward-mode JVP to the reverse-mode backward
  Net net({4, {6, 3}, 3, GetParam()}, 14);
  const MatD x = RandomMat(4, 7, 7), C = RandomMat(3, 7, 8);
  Rng rng(9);
  std::vector<double> v(net.mlp.num_params()), g(net.mlp.num_params(), 0.0);
  for (double& e : v) e = rng.Normal();
  MlpWorkspace<double> ws;
  net.mlp.Forward(net.params, x, ws);
  const double lhs = (C.array() * net.mlp.Jvp(net.params, v, ws).array()).sum();
  net.mlp.Backward(net.params, g, C, ws);
  double rhs = 0;
  for (size_t i = 0; i < v.size(); ++i) rhs += g[i] * v[i];
  EXPECT_NEAR(lhs, rhs, 1e-9 * (1 + std::fabs(lhs)));
}

}  // namespace

void PrintTo(Activation a, std::ostream* os) { *os << ActivationName(a); }

namespace {

INSTANTIATE_TEST_SUITE_P(Activations, MlpGradTest,
                         ::testing::Values(Activation::kTanh, Activation::kRelu),
                         [](const auto& info) { return ActivationName(info.param); });

TEST(MlpTest, ANetworkPastTheParameterCountIsRefusedBeforeAllocating) {
  MlpSpec spec;
  spec.in = 4;
  spec.out = 2;
  spec.hidden = {46341, 46341};  // 46341^2 > 2^31 - 1
  try {
    Mlp<float> net(spec);
    FAIL() << "accepted " << net.num_params();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than the 2147483647 a network can hold"), std::string::npos) << e.what();
  }
}

TEST(MlpTest, ParameterLayoutAndCount) {
  Mlp<float> mlp({4, {64, 64}, 2, Activation::kTanh});
  EXPECT_EQ(mlp.num_params(), 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
  EXPECT_EQ(mlp.weight_offset(1), 4 * 64 + 64);
  EXPECT_EQ(mlp.bias_offset(2), mlp.weight_offset(2) + 2 * 64);
}

TEST(MlpTest, OrthogonalInitWithGainsAndZeroBiases) {
  Mlp<double> mlp({3, {8, 5}, 2, Activation::kTanh});
  std::vector<double> p(mlp.num_params(), 1.0);
  Rng rng(3);
  mlp.Init(p, rng, 0.01);
  for (int l = 0; l < mlp.num_layers(); ++l) {
    const int out = mlp.width(l + 1), in = mlp.width(l);
    Eigen::Map<const MatD> W(p.data() + mlp.weight_offset(l), out, in);
    const double gain = l + 1 == mlp.num_layers() ? 0.01 : std::sqrt(2.0);
    // the smaller Gram matrix is gain^2 * I
    const MatD gram = out <= in ? MatD(W * W.transpose()) : MatD(W.transpose() * W);
    EXPECT_LT((gram - gain * gain * MatD::Identity(gram.rows(), gram.cols())).cwiseAbs().maxCoeff(),
              1e-12)
        << "layer " << l;
    for (int k = 0; k < out; ++k) EXPECT_EQ(p[mlp.bias_offset(l) + k], 0.0);
  }
}

TEST(MlpTest, FloatAgreesWithDouble) {
  Mlp<double> md({4, {16, 16}, 3, Activation::kTanh});
  Mlp<float> mf({4, {16, 16}, 3, Activation::kTanh});
  std::vector<double> pd(md.num_params());
  Rng rng(4);
  md.Init(pd, rng, 1.0);
  std::vector<float> pf(pd.begin(), pd.end());
  const MatD x = RandomMat(4, 9, 10);
  MlpWorkspace<double> wd;
  MlpWorkspace<float> wf;
  const MatD yd = md.Forward(pd, x, wd);
  const Mat<float> yf = mf.Forward(pf, x.cast<float>(), wf);
  EXPECT_LT((yd - yf.cast<double>()).cwiseAbs().maxCoeff(), 1e-5);
}

TEST(MlpTest, RejectsBadSizes) {
  EXPECT_THROW(Mlp<float>({0, {4}, 2, Activation::kTanh}), Error);
  EXPECT_THROW(Mlp<float>({3, {0}, 2, Activation::kTanh}), Error);
  EXPECT_THROW(ParseActivation("sigmoid"), Error);
}

}  // namespace
}  // namespace ratchet

namespace ratchet {
namespace {

// Results must not depend on where a buffer sits in memory: the same parameters, inputs and
// directions placed at every float offset within a cache line give bit-identical outputs
// (otherwise a run's result would depend on heap layout, e.g. on the length of a path string).
TEST(MlpTest, ResultsDoNotDependOnBufferAlignment) {
  Mlp<float> mlp({5, {37, 19}, 3, Activation::kTanh});
  const int P = mlp.num_params();
  std::vector<float> base(P);
  Rng rng(2);
  mlp.Init(base, rng, 0.5);
  for (int k = 0; k < P; ++k) base[k] += 0.01f * static_cast<float>(rng.Normal());
  for (int B : {1, 7, 64}) {
    Mat<float> x = Mat<float>::Random(5, B), dy = Mat<float>::Random(3, B);
    std::vector<float> ref_y, ref_g, ref_jv;
    for (int off = 0; off < 16; ++off) {
      AlignedVector<float> pbuf(P + 16), gbuf(P + 16, 0.0f), vbuf(P + 16);
      std::copy(base.begin(), base.end(), pbuf.begin() + off);
      std::copy(base.begin(), base.end(), vbuf.begin() + off);  // any direction will do
      std::span<const float> p(pbuf.data() + off, P), v(vbuf.data() + off, P);
      std::span<float> g(gbuf.data() + off, P);
      MlpWorkspace<float> ws;
      const Mat<float> y = mlp.Forward(p, x, ws);
      mlp.Backward(p, g, dy, ws);
      const Mat<float> jv = mlp.Jvp(p, v, ws);
      std::vector<float> yv(y.data(), y.data() + y.size()), gv(g.begin(), g.end()),
          jvv(jv.data(), jv.data() + jv.size());
      if (off == 0) {
        ref_y = yv;
        ref_g = gv;
        ref_jv = jvv;
      } else {
        EXPECT_EQ(yv, ref_y) << "forward, batch " << B << ", offset " << off;
        EXPECT_EQ(gv, ref_g) << "backward, batch " << B << ", offset " << off;
        EXPECT_EQ(jvv, ref_jv) << "jvp, batch " << B << ", offset " << off;
      }
    }
  }
}

}  // namespace
}  // namespace ratchet
