#include "ratchet/kfac.h"

#include "ratchet/bytes.h"

#include <Eigen/Eigenvalues>
#include <cmath>

namespace ratchet {

Kfac::Kfac(double stats_decay, double damping, int inverse_every)
    : decay_(stats_decay), damping_(damping), inverse_every_(inverse_every) {
  RATCHET_CHECK(inverse_every_ >= 1, "inverse_every must be >= 1");
}

int Kfac::Register(const Mlp<float>& mlp, int offset) {
  Net net;
  for (int l = 0; l < mlp.num_layers(); ++l) {
    Layer layer;
    layer.in = mlp.width(l);
    layer.out = mlp.width(l + 1);
    layer.w_offset = offset + mlp.weight_offset(l);
    layer.b_offset = offset + mlp.bias_offset(l);
    layer.A = Eigen::MatrixXd::Identity(layer.in + 1, layer.in + 1);
    layer.G = Eigen::MatrixXd::Identity(layer.out, layer.out);
    net.layers.push_back(std::move(layer));
  }
  nets_.push_back(std::move(net));
  return static_cast<int>(nets_.size()) - 1;
}

void Kfac::RegisterDiagonal(int offset, int count, double fisher) {
  RATCHET_CHECK(offset >= 0 && count >= 0 && fisher > 0, "Kfac::RegisterDiagonal arguments");
  diagonals_.push_back({offset, count, fisher});
}

void Kfac::UpdateStats(int id, const MlpWorkspace<float>& ws) {
  const int B = ws.last_batch;
  Net& net = nets_[id];
  for (size_t l = 0; l < net.layers.size(); ++l) {
    Layer& L = net.layers[l];
    // a_bar (in + 1, B): the layer input with a row of ones for the bias
    Eigen::MatrixXd a(L.in + 1, B);
    a.topRows(L.in) = ConstMatMap<float>(ws.act[l].data(), L.in, B).cast<double>();
    a.row(L.in).setOnes();
    const Eigen::MatrixXd g = ConstMatMap<float>(ws.delta[l + 1].data(), L.out, B).cast<double>();
    const Eigen::MatrixXd A_batch = a * a.transpose() / B;
    const Eigen::MatrixXd G_batch = g * g.transpose() / B;
    if (!L.has_stats) {
      L.A = A_batch;
      L.G = G_batch;
      L.has_stats = true;
    } else {
      L.A = decay_ * L.A + (1 - decay_) * A_batch;
      L.G = decay_ * L.G + (1 - decay_) * G_batch;
    }
  }
}

void Kfac::RefreshEigen() {
  for (Net& net : nets_)
    for (Layer& L : net.layers) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ea(L.A), eg(L.G);
      L.QA = ea.eigenvectors();
      L.dA = ea.eigenvalues().cwiseMax(0.0);  // PSD up to rounding
      L.QG = eg.eigenvectors();
      L.dG = eg.eigenvalues().cwiseMax(0.0);
    }
}

void Kfac::Precondition(std::span<const float> grads, std::span<float> out) {
  RATCHET_CHECK(grads.size() == out.size(), "Kfac::Precondition sizes");
  if (calls_++ % inverse_every_ == 0 || nets_.empty() || nets_[0].layers[0].QA.size() == 0) RefreshEigen();
  std::copy(grads.begin(), grads.end(), out.begin());
  for (const Net& net : nets_)
    for (const Layer& L : net.layers) {
      // [W b] gradient (out, in + 1)
      Eigen::MatrixXd g(L.out, L.in + 1);
      g.leftCols(L.in) = ConstMatMap<float>(grads.data() + L.w_offset, L.out, L.in).cast<double>();
      g.col(L.in) = Eigen::Map<const Eigen::VectorXf>(grads.data() + L.b_offset, L.out).cast<double>();
      Eigen::MatrixXd v = L.QG.transpose() * g * L.QA;
      for (int j = 0; j < v.cols(); ++j)
        for (int i = 0; i < v.rows(); ++i) v(i, j) /= L.dG[i] * L.dA[j] + damping_;
      const Eigen::MatrixXd p = L.QG * v * L.QA.transpose();
      MatMap<float>(out.data() + L.w_offset, L.out, L.in) = p.leftCols(L.in).cast<float>();
      Eigen::Map<Eigen::VectorXf>(out.data() + L.b_offset, L.out) = p.col(L.in).cast<float>();
    }
  for (const Diagonal& d : diagonals_) {
    RATCHET_CHECK(static_cast<size_t>(d.offset + d.count) <= out.size(), "Kfac diagonal block out of range");
    for (int i = d.offset; i < d.offset + d.count; ++i)
      out[i] = static_cast<float>(grads[i] / (d.fisher + damping_));
  }
}

namespace {

// A matrix with its shape (bounded when read: larger is a corrupt file).
void SerializeMatrix(Archive& ar, Eigen::MatrixXd& m) {
  int64_t rows = m.rows(), cols = m.cols();
  ar(rows);
  ar(cols);
  if (ar.loading()) {
    if (rows < 0 || cols < 0 || rows > 100000 || cols > 100000) throw Error("K-FAC state is corrupt");
    m.resize(rows, cols);
  }
  ar(std::span<double>(m.data(), static_cast<size_t>(m.size())), "K-FAC factor");
}

}  // namespace

void Kfac::Serialize(Archive& ar) {
  ar(calls_);
  for (Net& net : nets_)
    for (Layer& L : net.layers) {
      uint8_t has_stats = L.has_stats;
      ar(has_stats);
      L.has_stats = has_stats != 0;
      for (Eigen::MatrixXd* m : {&L.A, &L.G, &L.QA, &L.QG}) SerializeMatrix(ar, *m);
      for (Eigen::VectorXd* v : {&L.dA, &L.dG}) {  // eigenvalues, stored as one-column matrices
        Eigen::MatrixXd m = *v;
        SerializeMatrix(ar, m);
        if (ar.loading()) {
          if (m.cols() != 1) throw Error("K-FAC state is corrupt");
          *v = m;
        }
      }
    }
}

double KfacMomentumStep(Kfac& kfac, std::span<float> params, std::span<const float> grads, std::span<float> nat,
                        std::span<float> mom, double lr, double momentum, double kl_clip) {
  RATCHET_CHECK(params.size() == grads.size() && nat.size() == grads.size() && mom.size() == grads.size(),
                "KfacMomentumStep sizes");
  kfac.Precondition(grads, nat);
  double gn = 0;
  for (size_t i = 0; i < grads.size(); ++i) gn += static_cast<double>(grads[i]) * nat[i];
  const double quad = lr * lr * gn;
  const float s = static_cast<float>(quad > 0 ? std::min(1.0, std::sqrt(kl_clip / quad)) : 1.0);
  const float m = static_cast<float>(momentum), step = static_cast<float>(lr * (1 - momentum));
  for (size_t i = 0; i < params.size(); ++i) {
    mom[i] = m * mom[i] + s * nat[i];
    params[i] -= step * mom[i];
  }
  return quad;
}

}  // namespace ratchet
