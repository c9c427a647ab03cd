#include "env/mujoco/mujoco_env.h"

#include "core/file.h"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>

namespace ratchet {

MujocoModelChoice ReadModelChoice(KwargsReader& kw, const std::string& default_xml, int default_frame_skip) {
  MujocoModelChoice c;
  c.frame_skip = kw.Int("frame_skip", default_frame_skip, 1, 1000);
  std::string xml = kw.Text("xml_file", default_xml);
  const std::string id = kw.id();
  const bool bare = xml.find('/') == std::string::npos && xml[0] != '.' && xml[0] != '~';
  if (!bare) {
    if (xml[0] == '~') {
      const char* home = std::getenv("HOME");
      xml = std::string(home != nullptr ? home : "") + xml.substr(1);
    }
    c.path = xml;
    return c;
  }
  c.name = xml.size() > 4 && xml.ends_with(".xml") ? xml.substr(0, xml.size() - 4) : xml;
  if (!EmbeddedMujocoModels().contains(c.name)) {
    std::string names;
    for (const auto& [name, text] : EmbeddedMujocoModels()) names += (names.empty() ? "" : ", ") + name + ".xml";
    throw Error(fmt::format("{}: xml_file '{}' is not a built-in model ({}); a file of your own needs a path "
                            "(./{} or /abs/{})", id, xml, names, xml, xml));
  }
  return c;
}

MujocoEnv::MujocoEnv(const std::string& id, const MujocoModelChoice& model, int max_episode_steps,
                     std::optional<double> reward_threshold)
    : MujocoEnv(id, model.name, model.frame_skip, 0, max_episode_steps, reward_threshold, model.path) {}

MujocoEnv::MujocoEnv(const std::string& id, const std::string& model, int frame_skip, int obs_dim,
                     int max_episode_steps, std::optional<double> reward_threshold, const std::string& path)
    : EnvBase(EnvSpec{}), sim_(model, frame_skip, path) {
  spec_.id = id;
  if (obs_dim > 0) SetObservationDim(obs_dim);  // else the task sets it from its model
  spec_.action_space = sim_.ActionSpace();
  spec_.max_episode_steps = max_episode_steps;
  spec_.reward_threshold = reward_threshold;
  spec_.dt = sim_.dt();
  if (!sim_.source().empty()) {
    const std::vector<uint8_t> bytes = ReadWholeFile(sim_.source(), "MuJoCo model file");
    spec_.model_file = fmt::format("{} fnv1a:{:016x}", sim_.source(), Checksum(bytes));
  }
}

MujocoEnv::~MujocoEnv() = default;

void MujocoEnv::SetObservationDim(int n) {
  const float inf = std::numeric_limits<float>::infinity();
  spec_.observation_space = Space::Box(std::vector<float>(n, -inf), std::vector<float>(n, inf));
}

std::optional<MujocoStateVectors> MujocoState(Env& env) {
  Env* e = &env;
  while (auto* limit = dynamic_cast<TimeLimit*>(e)) e = &limit->inner();
  const auto* task = dynamic_cast<const MujocoEnv*>(e);
  if (task == nullptr) return std::nullopt;
  const auto qpos = task->sim().qpos(), qvel = task->sim().qvel();
  return MujocoStateVectors{{qpos.begin(), qpos.end()}, {qvel.begin(), qvel.end()}};
}

void MujocoEnv::Render(int width, int height, std::vector<uint8_t>* rgb) {
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096)
    throw Error(fmt::format("render size {}x{} is out of range (1..4096)", width, height));
  if (!renderer_) renderer_ = std::make_unique<MujocoRenderer>(sim_.model(), width, height);
  renderer_->Render(sim_.model(), sim_.mutable_data(), camera_, rgb);
}

void MujocoEnv::OnReset(std::span<float> obs) {
  ResetModel();
  WriteObs(obs);
  info_.Clear();
  ResetInfo();
}

StepResult MujocoEnv::OnStep(std::span<const float> action, std::span<float> obs) {
  const StepResult r = StepModel(action);
  WriteObs(obs);
  return r;
}

void MujocoEnv::Serialize(StateArchive& ar) { sim_.Serialize(ar); }

std::vector<double> MujocoEnv::UniformAround(std::span<const double> base, double scale) {
  std::vector<double> out(base.begin(), base.end());
  for (double& v : out) v += rng().Uniform(-scale, scale);
  return out;
}

std::vector<double> MujocoEnv::NormalAround(std::span<const double> base, double scale) {
  std::vector<double> out(base.begin(), base.end());
  for (double& v : out) v += scale * rng().Normal();
  return out;
}

double MujocoEnv::ControlCost(std::span<const float> action, double weight) {
  double sum = 0;
  for (float a : action) sum += static_cast<double>(a) * a;
  return weight * sum;
}

void MujocoEnv::WritePositionsVelocities(std::span<float> obs, int skip, double vel_clip) const {
  const auto q = sim_.qpos();
  const auto v = sim_.qvel();
  size_t k = 0;
  for (size_t i = skip; i < q.size(); ++i) obs[k++] = static_cast<float>(q[i]);
  for (double x : v) obs[k++] = static_cast<float>(vel_clip > 0 ? std::clamp(x, -vel_clip, vel_clip) : x);
}

}  // namespace ratchet
