// The deployable policy. The forward pass uses the same Eigen expressions on the same matrix
// types as the trainer's MLP (src/nn/mlp.cc), so the actions are bit-identical to evaluation.
#include "ratchet/deploy.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/core.h"

namespace ratchet {

namespace {

constexpr Magic kMagic = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'P'};
constexpr uint32_t kVersion = 1;

using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;

}  // namespace

struct DeployedPolicy::Impl {
  Contents c;
  Eigen::Matrix<float, Eigen::Dynamic, 1> params;  // aligned like the trainer's parameters
  std::vector<int> offset;                         // of W_l in params
  mutable std::vector<MatF> act;                   // act[l]: (width_l, 1)
  mutable std::vector<float> obs;
};

DeployedPolicy::DeployedPolicy(Contents c) : impl_(std::make_unique<Impl>()) {
  auto fail = [](const std::string& m) { throw DeployError("invalid policy: " + m); };
  if (c.obs_dim <= 0 || c.num_actions <= 0) fail("empty observation or action space");
  if (c.widths.size() < 2 || c.widths.front() != c.obs_dim || c.widths.back() != c.num_actions)
    fail("layer widths do not match the spaces");
  // every width and the parameter count are bounded before any arithmetic can overflow
  constexpr int kMaxWidth = 1 << 16;
  constexpr size_t kMaxParams = size_t{1} << 30;
  if (c.widths.size() > 64) fail("more than 64 layers");
  for (int w : c.widths)
    if (w <= 0 || w > kMaxWidth) fail("a layer width is outside [1, 65536]");
  size_t n = 0;
  for (size_t l = 0; l + 1 < c.widths.size(); ++l) {
    impl_->offset.push_back(static_cast<int>(n));
    n += static_cast<size_t>(c.widths[l + 1]) * (static_cast<size_t>(c.widths[l]) + 1);
    if (n > kMaxParams) fail("more than 2^30 parameters");
  }
  if (c.params.size() != n) fail("expected " + std::to_string(n) + " parameters, got " + std::to_string(c.params.size()));
  if (!c.discrete && (c.action_low.size() != static_cast<size_t>(c.num_actions) ||
                      c.action_high.size() != static_cast<size_t>(c.num_actions)))
    fail("action bounds do not match the action dimension");
  if (c.normalize_obs && (c.obs_mean.size() != static_cast<size_t>(c.obs_dim) ||
                          c.obs_var.size() != static_cast<size_t>(c.obs_dim)))
    fail("normaliser statistics do not match the observation dimension");
  for (float p : c.params)
    if (!std::isfinite(p)) fail("a parameter is not finite");
  impl_->params = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, 1>>(c.params.data(), c.params.size());
  for (int w : c.widths) impl_->act.emplace_back(w, 1);
  impl_->obs.resize(c.obs_dim);
  impl_->c = std::move(c);
}

DeployedPolicy::DeployedPolicy(DeployedPolicy&&) noexcept = default;
DeployedPolicy& DeployedPolicy::operator=(DeployedPolicy&&) noexcept = default;
DeployedPolicy::~DeployedPolicy() = default;

const DeployedPolicy::Contents& DeployedPolicy::contents() const { return impl_->c; }
int DeployedPolicy::obs_dim() const { return impl_->c.obs_dim; }
int DeployedPolicy::action_dim() const { return impl_->c.discrete ? 1 : impl_->c.num_actions; }
bool DeployedPolicy::discrete() const { return impl_->c.discrete; }

void DeployedPolicy::Act(std::span<const float> obs, std::span<float> action) const {
  const Contents& c = impl_->c;
  if (static_cast<int>(obs.size()) != c.obs_dim || static_cast<int>(action.size()) != action_dim())
    throw DeployError("Act: expected " + std::to_string(c.obs_dim) + " observation and " +
                      std::to_string(action_dim()) + " action values, got " + std::to_string(obs.size()) +
                      " and " + std::to_string(action.size()));
  // observation normalisation, in double as in training
  std::vector<float>& x = impl_->obs;
  for (int j = 0; j < c.obs_dim; ++j) {
    if (c.normalize_obs) {
      const double z = (obs[j] - c.obs_mean[j]) / std::sqrt(c.obs_var[j] + 1e-8);
      x[j] = static_cast<float>(std::clamp(z, -c.obs_clip, c.obs_clip));
    } else {
      x[j] = obs[j];
    }
  }
  // the MLP: z = W a + b, tanh/ReLU on hidden layers
  std::vector<MatF>& act = impl_->act;
  act[0] = Eigen::Map<const MatF>(x.data(), c.obs_dim, 1);
  const int layers = static_cast<int>(c.widths.size()) - 1;
  for (int l = 0; l < layers; ++l) {
    const int in = c.widths[l], out = c.widths[l + 1];
    const float* p = impl_->params.data() + impl_->offset[l];
    Eigen::Map<const MatF> W(p, out, in);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, 1>> b(p + static_cast<size_t>(out) * in, out);
    Eigen::Map<const MatF> a_in(act[l].data(), in, 1);
    Eigen::Map<MatF> z(act[l + 1].data(), out, 1);
    z.noalias() = W * a_in;
    z.colwise() += b;
    if (l + 1 < layers) {
      if (c.tanh) {
        z.array() = z.array().tanh();
      } else {
        z.array() = z.array().max(0.0f);
      }
    }
  }
  const float* y = act[layers].data();
  if (c.discrete) {
    // the first maximal logit
    action[0] = static_cast<float>(std::max_element(y, y + c.num_actions) - y);
  } else {
    for (int d = 0; d < c.num_actions; ++d) action[d] = std::clamp(y[d], c.action_low[d], c.action_high[d]);
  }
}

std::vector<float> DeployedPolicy::Act(std::span<const float> obs) const {
  std::vector<float> a(action_dim());
  Act(obs, a);
  return a;
}

int DeployedPolicy::ActDiscrete(std::span<const float> obs) const {
  if (!discrete()) throw DeployError("ActDiscrete: the policy has Box actions; use Act");
  float a = 0.0f;
  Act(obs, std::span<float>(&a, 1));
  return static_cast<int>(a);
}

void DeployedPolicy::Save(const std::string& path) const {
  const Contents& c = impl_->c;
  const std::vector<int32_t> widths(c.widths.begin(), c.widths.end());
  ByteWriter w;
  w.PutArray(std::span<const char>(c.env_id.data(), c.env_id.size()));
  w.Put<int32_t>(c.obs_dim);
  w.Put<uint8_t>(c.discrete);
  w.Put<int32_t>(c.num_actions);
  w.PutArray<float>(c.action_low);
  w.PutArray<float>(c.action_high);
  w.Put<uint8_t>(c.tanh);
  w.PutArray<int32_t>(widths);
  w.PutArray<float>(c.params);
  w.Put<uint8_t>(c.normalize_obs);
  w.Put(c.obs_clip);
  w.PutArray<double>(c.obs_mean);
  w.PutArray<double>(c.obs_var);
  try {
    WriteFileAtomically(path, Frame(kMagic, kVersion, w.buf), "policy file");
  } catch (const Error& e) {
    throw DeployError(e.what());
  }
}

DeployedPolicy DeployedPolicy::Load(const std::string& path) {
  // the library's reader and framing; their Errors reach the deploy library's users as DeployError
  Contents c;
  try {
    const std::vector<uint8_t> bytes = ReadWholeFile(path, "policy file");
    const Unframed u = Unframe(bytes, kMagic, kVersion, path, "policy file");
    ByteReader r(u.body, "policy file '" + path + "'");
    const std::vector<char> id = r.GetVector<char>();
    c.env_id.assign(id.begin(), id.end());
    c.obs_dim = r.Get<int32_t>();
    c.discrete = r.Get<uint8_t>() != 0;
    c.num_actions = r.Get<int32_t>();
    c.action_low = r.GetVector<float>();
    c.action_high = r.GetVector<float>();
    c.tanh = r.Get<uint8_t>() != 0;
    const std::vector<int32_t> widths = r.GetVector<int32_t>();
    c.widths.assign(widths.begin(), widths.end());
    c.params = r.GetVector<float>();
    c.normalize_obs = r.Get<uint8_t>() != 0;
    c.obs_clip = r.Get<double>();
    c.obs_mean = r.GetVector<double>();
    c.obs_var = r.GetVector<double>();
    if (!r.AtEnd()) throw Error("policy file '" + path + "' has unexpected trailing bytes");
  } catch (const Error& e) {
    throw DeployError(e.what());
  }
  return DeployedPolicy(std::move(c));
}

}  // namespace ratchet
