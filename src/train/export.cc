// `ratchet export`: a run's policy as a self-contained .rpol file for ratchet::DeployedPolicy.
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

void ExportPolicy(const TrainedModel& m, const std::filesystem::path& path) {
  try {
    DeployedPolicy(DeployContents(m)).Save(path.string());
  } catch (const DeployError& e) {
    throw Error(e.what());
  }
}

}  // namespace ratchet
