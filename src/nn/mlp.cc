#include <Eigen/QR>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "ratchet/nn.h"

namespace ratchet {

Activation ParseActivation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  throw Error("unknown activation '" + name + "'; use tanh or relu");
}

std::string ActivationName(Activation a) { return a == Activation::kTanh ? "tanh" : "relu"; }

void ConfigValue<Activation>::Parse(const std::string& key, const std::string& text, Activation* out) {
  if (text != "tanh" && text != "relu") ConfigBadValue(key, text, "tanh or relu");
  *out = ParseActivation(text);
}
std::string ConfigValue<Activation>::Format(const Activation& v) { return ActivationName(v); }

template <typename T>
Mlp<T>::Mlp(MlpSpec spec) : spec_(std::move(spec)) {
  if (spec_.in <= 0 || spec_.out <= 0) throw Error("network input and output sizes must be positive");
  width_.push_back(spec_.in);
  for (int h : spec_.hidden) {
    if (h <= 0) throw Error("hidden layer widths must be positive, got " + std::to_string(h));
    width_.push_back(h);
  }
  width_.push_back(spec_.out);
  // parameter counts and offsets are int: a network past 2^31 - 1 parameters (8 GiB of floats)
  // is refused before any of it is allocated
  int64_t total = 0;
  for (int l = 0; l + 1 < static_cast<int>(width_.size()); ++l)
    total += static_cast<int64_t>(width_[l + 1]) * width_[l] + width_[l + 1];
  if (total > std::numeric_limits<int>::max())
    throw Error(fmt::format("the network has {} parameters, more than the {} a network can hold; use narrower "
                            "hidden layers (net_arch)", total, std::numeric_limits<int>::max()));
  for (int l = 0; l + 1 < static_cast<int>(width_.size()); ++l) {
    offset_.push_back(num_params_);
    num_params_ += width_[l + 1] * width_[l] + width_[l + 1];
  }
}

template <typename T>
void OrthogonalInit(MatMap<T> m, Rng& rng, double gain) {
  const bool transpose = m.rows() < m.cols();
  const int r = transpose ? m.cols() : m.rows();
  const int c = transpose ? m.rows() : m.cols();
  Eigen::MatrixXd a(r, c);
  for (int j = 0; j < c; ++j)
    for (int i = 0; i < r; ++i) a(i, j) = rng.Normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(r, c);
  const Eigen::MatrixXd rr = qr.matrixQR().topRows(c).template triangularView<Eigen::Upper>();
  for (int j = 0; j < c; ++j)
    if (rr(j, j) < 0) q.col(j) *= -1.0;
  if (transpose) {
    m = (gain * q.transpose()).template cast<T>();
  } else {
    m = (gain * q).template cast<T>();
  }
}

template <typename T>
void Mlp<T>::Init(std::span<T> params, Rng& rng, double out_gain) const {
  RATCHET_CHECK(static_cast<int>(params.size()) >= num_params_, "parameter span too small");
  for (int l = 0; l < num_layers(); ++l) {
    const double gain = l + 1 == num_layers() ? out_gain : std::sqrt(2.0);
    OrthogonalInit<T>(MatMap<T>(params.data() + weight_offset(l), width_[l + 1], width_[l]), rng,
                      gain);
    std::fill_n(params.data() + bias_offset(l), width_[l + 1], T(0));
  }
}

template <typename T>
void Mlp<T>::InitUniform(std::span<T> params, Rng& rng) const {
  RATCHET_CHECK(static_cast<int>(params.size()) >= num_params_, "parameter span too small");
  for (int l = 0; l < num_layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(width_[l]));
    for (int k = 0; k < width_[l + 1] * width_[l]; ++k)
      params[weight_offset(l) + k] = static_cast<T>(rng.Uniform(-bound, bound));
    for (int k = 0; k < width_[l + 1]; ++k) params[bias_offset(l) + k] = static_cast<T>(rng.Uniform(-bound, bound));
  }
}

template <typename T>
void Mlp<T>::Reserve(MlpWorkspace<T>& ws, int batch) const {
  if (ws.capacity >= batch && static_cast<int>(ws.act.size()) == num_layers() + 1) return;
  const int cap = std::max(batch, ws.capacity);
  ws.act.resize(num_layers() + 1);
  ws.tangent.resize(num_layers() + 1);
  ws.delta.resize(num_layers() + 1);
  for (int l = 0; l <= num_layers(); ++l) {
    ws.act[l].resize(width_[l], cap);
    ws.tangent[l].resize(width_[l], cap);
    ws.delta[l].resize(width_[l], cap);
  }
  ws.bias_grad.resize(*std::max_element(width_.begin(), width_.end()));
  ws.capacity = cap;
}

namespace {

// act(z) in place on a hidden layer's pre-activation
template <typename T>
void ApplyActivation(MatMap<T> z, Activation a) {
  if (a == Activation::kTanh) {
    z.array() = z.array().tanh();
  } else {
    z.array() = z.array().max(T(0));
  }
}

// d *= act'(z), written in terms of the layer output y = act(z)
template <typename T>
void MulActivationGrad(MatMap<T> d, ConstMatMap<T> y, Activation a) {
  if (a == Activation::kTanh) {
    d.array() *= (T(1) - y.array().square());
  } else {
    d.array() = (y.array() > T(0)).select(d.array(), T(0));
  }
}

}  // namespace

template <typename T>
MatMap<T> Mlp<T>::Forward(std::span<const T> params, const Eigen::Ref<const Mat<T>>& x,
                          MlpWorkspace<T>& ws) const {
  RATCHET_CHECK(x.rows() == spec_.in, "input has the wrong number of features");
  const int B = static_cast<int>(x.cols());
  Reserve(ws, B);
  ws.last_batch = B;
  MatMap<T>(ws.act[0].data(), spec_.in, B) = x;
  for (int l = 0; l < num_layers(); ++l) {
    ConstMatMap<T> W(params.data() + weight_offset(l), width_[l + 1], width_[l]);  // (out, in)
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>> b(params.data() + bias_offset(l),
                                                            width_[l + 1]);
    ConstMatMap<T> a_in(ws.act[l].data(), width_[l], B);  // (in, B)
    MatMap<T> z(ws.act[l + 1].data(), width_[l + 1], B);  // (out, B)
    z.noalias() = W * a_in;
    z.colwise() += b;
    if (l + 1 < num_layers()) ApplyActivation<T>(z, spec_.activation);
  }
  return MatMap<T>(ws.act[num_layers()].data(), spec_.out, B);
}

template <typename T>
void Mlp<T>::Backward(std::span<const T> params, std::span<T> grads,
                      const Eigen::Ref<const Mat<T>>& dy, MlpWorkspace<T>& ws, Mat<T>* dx) const {
  const int B = static_cast<int>(dy.cols());
  RATCHET_CHECK(dy.rows() == spec_.out && B == ws.last_batch, "dy does not match the last Forward");
  const int L = num_layers();
  MatMap<T>(ws.delta[L].data(), spec_.out, B) = dy;
  for (int l = L - 1; l >= 0; --l) {
    MatMap<T> d(ws.delta[l + 1].data(), width_[l + 1], B);  // dL/dz_l (out, B)
    if (l + 1 < L)
      MulActivationGrad<T>(d, ConstMatMap<T>(ws.act[l + 1].data(), width_[l + 1], B),
                           spec_.activation);
    ConstMatMap<T> a_in(ws.act[l].data(), width_[l], B);
    MatMap<T> dW(grads.data() + weight_offset(l), width_[l + 1], width_[l]);
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> db(grads.data() + bias_offset(l),
                                                       width_[l + 1]);
    dW.noalias() += d * a_in.transpose();
    // the vectorised row sum goes to an aligned scratch first: summed straight into db, Eigen
    // would split it by db's address, and results would depend on where a buffer was allocated
    auto bias_grad = ws.bias_grad.head(width_[l + 1]);
    bias_grad.noalias() = d.rowwise().sum();
    db += bias_grad;
    if (l > 0 || dx != nullptr) {
      ConstMatMap<T> W(params.data() + weight_offset(l), width_[l + 1], width_[l]);
      MatMap<T> d_in(ws.delta[l].data(), width_[l], B);
      d_in.noalias() = W.transpose() * d;
    }
  }
  if (dx != nullptr) *dx = ConstMatMap<T>(ws.delta[0].data(), spec_.in, B);
}

template <typename T>
MatMap<T> Mlp<T>::Jvp(std::span<const T> params, std::span<const T> v, MlpWorkspace<T>& ws) const {
  RATCHET_CHECK(static_cast<int>(v.size()) >= num_params_, "direction too short");
  const int L = num_layers();
  const int B = ws.last_batch;  // the batch of the last Forward
  for (int l = 0; l < L; ++l) {
    ConstMatMap<T> W(params.data() + weight_offset(l), width_[l + 1], width_[l]);
    ConstMatMap<T> dW(v.data() + weight_offset(l), width_[l + 1], width_[l]);
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>> db(v.data() + bias_offset(l),
                                                             width_[l + 1]);
    ConstMatMap<T> a_in(ws.act[l].data(), width_[l], B);
    MatMap<T> t(ws.tangent[l + 1].data(), width_[l + 1], B);
    t.noalias() = dW * a_in;
    if (l > 0) t.noalias() += W * ConstMatMap<T>(ws.tangent[l].data(), width_[l], B);
    t.colwise() += db;
    if (l + 1 < L)
      MulActivationGrad<T>(t, ConstMatMap<T>(ws.act[l + 1].data(), width_[l + 1], B),
                           spec_.activation);
  }
  return MatMap<T>(ws.tangent[L].data(), spec_.out, B);
}

template class Mlp<float>;
template class Mlp<double>;
template void OrthogonalInit<float>(MatMap<float>, Rng&, double);
template void OrthogonalInit<double>(MatMap<double>, Rng&, double);

}  // namespace ratchet
