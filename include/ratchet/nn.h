// Ratchet networks: a multilayer perceptron over a flat parameter vector, its initialisation,
// Adam, gradient clipping and schedules.
//
// Shapes: a batch is a column-major matrix (features, B): column b is sample b. Parameters of
// layer l are W_l (out, in) column-major, then b_l (out), packed one layer after the other.
#pragma once

#include <Eigen/Core>
#include <Eigen/StdVector>
#include <span>
#include <string>
#include <vector>

#include "ratchet/config.h"
#include "ratchet/core.h"

namespace ratchet {

class Archive;

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
// Flat parameter, gradient and optimiser vectors. Their base is aligned like Eigen's own
// matrices, so vectorised loops over them split the same way in every run: results never
// depend on where malloc happened to put a buffer.
template <typename T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;
template <typename T>
using MatMap = Eigen::Map<Mat<T>>;
template <typename T>
using ConstMatMap = Eigen::Map<const Mat<T>>;

//---------------------------------- Product blocking ------------------------------------------

// Eigen splits the inner dimension of a large matrix product into blocks sized from the L1 data
// cache the CPU reports (CPUID), and the split decides where partial sums are rounded: the same
// product, on the same build, gives different bits with a 32 KiB L1 (AMD Zen, Intel up to
// Cascade Lake) than with 48 KiB (Intel from Ice Lake on) once its inner dimension passes about
// 290 (a batch gradient, a K-FAC factor). Ratchet fixes the sizes Eigen plans with, so every
// machine sums in the same order; only speed may differ a little where the real caches are
// smaller.
struct CacheSizes {
  std::ptrdiff_t l1 = 0, l2 = 0, l3 = 0;  // bytes
  bool operator==(const CacheSizes&) const = default;
};
// The sizes Ratchet plans every product with: 48 KiB, 2 MiB, 32 MiB. (Single-threaded Eigen
// reads only L1 and whether an L3 exists; L2 and L3 are fixed as well so nothing else can vary.)
CacheSizes PinnedCacheSizes();
// The sizes Eigen plans with right now in this process.
CacheSizes EigenCacheSizes();
// What this CPU reports through CPUID (Eigen's own query), for diagnostics.
CacheSizes CpuCacheSizes();
// Makes Eigen plan with PinnedCacheSizes() (writes only when they differ, so it is cheap and
// safe to call often). The library calls it when it is loaded, and Train, Resume, Evaluate and
// every Algorithm call it again: a program that sets Eigen's cache sizes itself between runs
// still gets Ratchet's bits (one that changes them while Ratchet computes does not).
void PinProductBlocking();

//---------------------------------- MLP -------------------------------------------------------

enum class Activation { kTanh, kRelu };

// Parses "tanh" or "relu"; throws Error otherwise.
Activation ParseActivation(const std::string& name);
std::string ActivationName(Activation a);

// Layer widths and the nonlinearity of the hidden layers; the output layer is linear.
struct MlpSpec {
  int in = 0;                 // input features
  std::vector<int> hidden;    // hidden widths, e.g. {64, 64}
  int out = 0;                // outputs
  Activation activation = Activation::kTanh;
};

// Per-thread scratch for one network: activations of every layer for up to `capacity` samples,
// and the tangents of the Jacobian-vector product. Grows on demand, never shrinks, so a warm
// workspace does not allocate.
template <typename T>
struct MlpWorkspace {
  int capacity = 0;
  int last_batch = 0;           // batch size of the last Forward
  std::vector<Mat<T>> act;      // act[l]: (width_l, capacity); act[0] is a copy of the input
  std::vector<Mat<T>> tangent;  // JVP tangents, same shapes as act
  std::vector<Mat<T>> delta;    // backward: gradient w.r.t. layer output, same shapes
  Eigen::Matrix<T, Eigen::Dynamic, 1> bias_grad;  // (max width) bias gradient before accumulation
};

// A multilayer perceptron that owns no parameters: it reads them from, and accumulates gradients
// into, flat vectors the caller owns (llm.c style), so a policy can append a log-std to the same
// vector and optimisers see one contiguous array.
template <typename T>
class Mlp {
 public:
  explicit Mlp(MlpSpec spec);

  const MlpSpec& spec() const { return spec_; }
  // Number of parameters (weights and biases of every layer).
  int num_params() const { return num_params_; }
  int num_layers() const { return static_cast<int>(width_.size()) - 1; }
  int width(int l) const { return width_[l]; }  // width_[0] = in, width_[L] = out
  // Offsets of W_l and b_l in the flat parameter vector.
  int weight_offset(int l) const { return offset_[l]; }
  int bias_offset(int l) const { return offset_[l] + width_[l + 1] * width_[l]; }

  // Orthogonal weights (gain sqrt(2) on hidden layers, `out_gain` on the output layer), zero
  // biases, as in the PPO reference implementations.
  void Init(std::span<T> params, Rng& rng, double out_gain) const;
  // PyTorch's default for linear layers instead: weights and biases of a layer with `fan_in`
  // inputs uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)) (Stable-Baselines3's ortho_init=False).
  void InitUniform(std::span<T> params, Rng& rng) const;

  // y = f(x) for x (in, B); returns a view of the output (out, B) that lives in ws.
  MatMap<T> Forward(std::span<const T> params, const Eigen::Ref<const Mat<T>>& x,
                    MlpWorkspace<T>& ws) const;
  // Accumulates dL/dparams into grads given dy = dL/dy (out, B) for the batch last passed to
  // Forward with ws. When dx is given it receives dL/dx (in, B).
  void Backward(std::span<const T> params, std::span<T> grads, const Eigen::Ref<const Mat<T>>& dy,
                MlpWorkspace<T>& ws, Mat<T>* dx = nullptr) const;
  // Forward-mode Jacobian-vector product: the directional derivative of the outputs (out, B) in
  // parameter direction v, for the batch last passed to Forward with ws.
  MatMap<T> Jvp(std::span<const T> params, std::span<const T> v, MlpWorkspace<T>& ws) const;

 private:
  void Reserve(MlpWorkspace<T>& ws, int batch) const;

  MlpSpec spec_;
  std::vector<int> width_;
  std::vector<int> offset_;
  int num_params_ = 0;
};

// Fills m (rows, cols) with a random orthogonal matrix times gain (QR of a Gaussian matrix with
// the sign of diag(R) folded in, as torch.nn.init.orthogonal_).
template <typename T>
void OrthogonalInit(MatMap<T> m, Rng& rng, double gain);

//---------------------------------- Optimisers ------------------------------------------------

// Adam (Kingma & Ba 2015) with bias correction, over a flat vector.
class Adam {
 public:
  explicit Adam(int n, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  // params -= lr * m_hat / (sqrt(v_hat) + eps)
  void Step(std::span<float> params, std::span<const float> grads, double lr);

  int64_t steps() const { return t_; }
  const AlignedVector<float>& m() const { return m_; }
  const AlignedVector<float>& v() const { return v_; }
  // Step count and moments, for checkpoints.
  void Serialize(Archive& ar);

 private:
  double beta1_, beta2_, eps_;
  AlignedVector<float> m_, v_;
  int64_t t_ = 0;
};

// RMSprop as in PyTorch (Tieleman & Hinton 2012): v = alpha v + (1 - alpha) g^2,
// params -= lr g / (sqrt(v) + eps). A2C's reference optimiser (alpha 0.99, eps 1e-5).
class RmsProp {
 public:
  explicit RmsProp(int n, double alpha = 0.99, double eps = 1e-5);
  void Step(std::span<float> params, std::span<const float> grads, double lr);
  const AlignedVector<float>& v() const { return v_; }
  void Serialize(Archive& ar);

 private:
  double alpha_, eps_;
  AlignedVector<float> v_;
};

// Global L2 norm of several gradient vectors taken together, summed in a fixed order in double.
double GlobalNorm(std::initializer_list<std::span<const float>> grads);
// Scales every vector by max_norm / norm when the global norm exceeds max_norm; returns the norm
// before clipping.
double ClipGlobalNorm(std::initializer_list<std::span<float>> grads, double max_norm);

//---------------------------------- Schedules -------------------------------------------------

// A value that is constant or decays linearly to zero over training, written in presets as a
// number ("0.001") or as RL-Zoo's "lin_0.001" (linear from 0.001 at the start to 0 at the end).
struct Schedule {
  double start = 0.0;
  bool linear = false;

  static Schedule Constant(double v) { return {v, false}; }
  static Schedule Linear(double start) { return {start, true}; }
  // Parses "0.001", "1e-3" or "lin_0.001"; throws Error naming `what` on anything else.
  static Schedule Parse(const std::string& text, const std::string& what);
  std::string ToString() const;

  // Value at progress_remaining in [0, 1]: 1 at the start of training, 0 at the end.
  double operator()(double progress_remaining) const {
    return linear ? start * progress_remaining : start;
  }
};

// Config text forms: "lin_0.001" / "0.001" and "tanh" / "relu".
RATCHET_CONFIG_VALUE(Schedule);
RATCHET_CONFIG_VALUE(Activation);
// A schedule whose starting value is positive.
inline ConfigCheck<Schedule> PositiveStart() {
  return [](const Schedule& s) { return s.start > 0 ? std::string() : std::string("positive"); };
}

}  // namespace ratchet
