// `ratchet export`: a run's policy as a self-contained .rpol file for ratchet::DeployedPolicy.
#include <cmath>
#include <fmt/format.h>

#include "ratchet/deploy.h"
#include "ratchet/train.h"

namespace ratchet {

DeployedPolicy::Contents DeployContents(const TrainedModel& m) {
  const Policy& pi = *m.policy;
  DeployedPolicy::Contents c;
  c.env_id = m.spec.id;
  c.obs_dim = pi.obs_dim();
  c.discrete = pi.discrete();
  c.num_actions = pi.dist_dim();
  if (!c.discrete) {
    c.action_low = m.spec.action_space.low;
    c.action_high = m.spec.action_space.high;
  }
  const MlpSpec& net = pi.mlp().spec();
  c.tanh = net.activation == Activation::kTanh;
  c.widths.push_back(net.in);
  c.widths.insert(c.widths.end(), net.hidden.begin(), net.hidden.end());
  c.widths.push_back(net.out);
  const auto mlp_params = pi.params().first(pi.mlp().num_params());
  c.params.assign(mlp_params.begin(), mlp_params.end());
  c.normalize_obs = m.norm.enabled;
  c.obs_clip = m.norm.clip;
  if (m.norm.enabled) {
    c.obs_mean = m.norm.rms.mean;
    c.obs_var = m.norm.rms.var;
  }
  return c;
}

DeployedPolicy::Contents CheckedDeployContents(const TrainedModel& m) {
  DeployedPolicy::Contents c = DeployContents(m);
  try {
    DeployedPolicy check(c);  // sizes, finite parameters and bounds
  } catch (const DeployError& e) {
    throw Error(fmt::format("cannot export the policy of {}: {}", m.spec.id, e.what()));
  }
  for (float p : m.value->params())
    if (!std::isfinite(p)) throw Error(fmt::format("cannot export the policy of {}: a value-network parameter is not finite", m.spec.id));
  for (size_t j = 0; j < c.obs_mean.size(); ++j)
    if (!std::isfinite(c.obs_mean[j]) || !std::isfinite(c.obs_var[j]) || c.obs_var[j] < 0)
      throw Error(fmt::format("cannot export the policy of {}: observation normaliser entry {} is mean {}, variance {}",
                              m.spec.id, j, c.obs_mean[j], c.obs_var[j]));
  return c;
}

void ExportPolicy(const TrainedModel& m, const std::filesystem::path& path) {
  try {
    DeployedPolicy(CheckedDeployContents(m)).Save(path.string());
  } catch (const DeployError& e) {
    throw Error(e.what());
  }
}

}  // namespace ratchet
