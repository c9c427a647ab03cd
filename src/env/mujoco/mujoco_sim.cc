#include "env/mujoco/mujoco_sim.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <filesystem>
#include <map>
#include <mutex>

#include "ratchet/bytes.h"

namespace ratchet {

std::string MujocoVersion() { return fmt::format("{} (headers {})", mj_versionString(), mjVERSION_HEADER); }

MjModelPtr LoadMujocoModelXml(const std::string& xml, const std::string& name) {
  mjVFS vfs;
  mj_defaultVFS(&vfs);
  const std::string file = "model.xml";
#if mjVERSION_HEADER >= 300  // MuJoCo 3 and later (the `mujoco` Python package's)
  if (mj_addBufferVFS(&vfs, file.c_str(), xml.data(), static_cast<int>(xml.size())) != 0) {
    mj_deleteVFS(&vfs);
    throw Error(fmt::format("MuJoCo model '{}': cannot stage the XML in memory", name));
  }
#else  // MuJoCo 2.2 (Debian 12's)
  if (mj_makeEmptyFileVFS(&vfs, file.c_str(), static_cast<int>(xml.size())) != 0) {
    mj_deleteVFS(&vfs);
    throw Error(fmt::format("MuJoCo model '{}': cannot stage the XML in memory", name));
  }
  const int idx = mj_findFileVFS(&vfs, file.c_str());
  std::memcpy(vfs.filedata[idx], xml.data(), xml.size());
#endif
  char err[1000] = "";
  mjModel* m = mj_loadXML(file.c_str(), &vfs, err, sizeof(err));
  mj_deleteVFS(&vfs);
  if (m == nullptr) {
    std::string msg = err;
    for (char& c : msg)
      if (c == '\n') c = ' ';
    throw Error(fmt::format("MuJoCo model '{}' does not compile: {}", name, msg));
  }
  return MjModelPtr(m);
}

MjModelPtr LoadMujocoModelFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(fmt::format("cannot read MuJoCo model file '{}'", path));
  // compiled from the file itself, so that the meshes and includes it names resolve beside it
  char err[1000] = "";
  mjModel* m = mj_loadXML(path.c_str(), nullptr, err, sizeof(err));
  if (m == nullptr) {
    std::string msg = err;
    for (char& c : msg)
      if (c == '\n') c = ' ';
    throw Error(fmt::format("MuJoCo model '{}' does not compile: {}", path, msg));
  }
  return MjModelPtr(m);
}

namespace {

// The embedded models, compiled once per process and shared read-only by every copy that uses
// them (MuJoCo reads the model and writes only mjData): thousands of copies cost one compile and
// one model's memory. A model lives while a copy holds it.
std::shared_ptr<const mjModel> SharedEmbeddedModel(const std::string& name, const std::string& xml) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const mjModel>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto m = cache[name].lock()) return m;
  std::shared_ptr<const mjModel> m(LoadMujocoModelXml(xml, name + ".xml").release(), MjModelDeleter());
  cache[name] = m;
  return m;
}

}  // namespace

MujocoSim::MujocoSim(const std::string& model_name, int frame_skip, const std::string& xml_path)
    : frame_skip_(frame_skip) {
  if (!xml_path.empty()) {
    model_ = LoadMujocoModelFile(xml_path);
    source_ = xml_path;
    MakeData();
    return;
  }
  const auto& models = EmbeddedMujocoModels();
  const auto it = models.find(model_name);
  RATCHET_CHECK(it != models.end(), "no embedded MuJoCo model " + model_name);
  if (const char* dir = std::getenv("RATCHET_MODEL_DIR"); dir != nullptr && *dir != '\0') {
    const std::string path = std::string(dir) + "/" + model_name + ".xml";
    model_ = LoadMujocoModelFile(path);
    // a replacement must have the shape the task reads: the same sizes and body names
    const MjModelPtr ref = LoadMujocoModelXml(it->second, model_name + ".xml");
    const mjModel* m = model_.get();
    const std::pair<const char*, std::pair<int, int>> sizes[] = {
        {"joint position coordinates (nq)", {m->nq, ref->nq}}, {"degrees of freedom (nv)", {m->nv, ref->nv}},
        {"actuators (nu)", {m->nu, ref->nu}}, {"bodies (nbody)", {m->nbody, ref->nbody}},
        {"sites (nsite)", {m->nsite, ref->nsite}}};
    for (const auto& [what, n] : sizes)
      if (n.first != n.second)
        throw Error(fmt::format("RATCHET_MODEL_DIR: '{}' does not fit the task: it has {} {} where the task needs {}",
                                path, n.first, what, n.second));
    for (int b = 0; b < ref->nbody; ++b) {
      const char* name = mj_id2name(ref.get(), mjOBJ_BODY, b);
      if (name != nullptr && mj_name2id(m, mjOBJ_BODY, name) != b)
        throw Error(fmt::format("RATCHET_MODEL_DIR: '{}' does not fit the task: body '{}' is missing or moved",
                                path, name));
    }
    source_ = path;
  } else {
    model_ = SharedEmbeddedModel(model_name, it->second);
  }
  MakeData();
}

void MujocoSim::MakeData() {
  data_ = MjDataPtr(mj_makeData(model_.get()));
  RATCHET_CHECK(data_ != nullptr, "mj_makeData failed");
  init_qpos_.assign(data_->qpos, data_->qpos + model_->nq);
}

Space MujocoSim::ActionSpace() const {
  std::vector<float> low(model_->nu), high(model_->nu);
  for (int i = 0; i < model_->nu; ++i) {
    low[i] = static_cast<float>(model_->actuator_ctrlrange[2 * i]);
    high[i] = static_cast<float>(model_->actuator_ctrlrange[2 * i + 1]);
  }
  return Space::Box(low, high);
}

int MujocoSim::BodyId(const char* name) const {
  const int id = mj_name2id(model_.get(), mjOBJ_BODY, name);
  if (id < 0)
    throw Error(fmt::format("MuJoCo model {}: the task needs a body named '{}'", source_.empty() ? "(built in)" : "'" + source_ + "'", name));
  return id;
}

void MujocoSim::ResetTo(std::span<const double> qpos, std::span<const double> qvel) {
  mj_resetData(model_.get(), data_.get());
  std::copy(qpos.begin(), qpos.end(), data_->qpos);
  std::copy(qvel.begin(), qvel.end(), data_->qvel);
  for (int i = 0; i < model_->na; ++i) data_->act[i] = 0;
  mj_forward(model_.get(), data_.get());
}

void MujocoSim::DoSimulation(std::span<const float> action, const std::string& env_id) {
  RATCHET_CHECK(static_cast<int>(action.size()) == model_->nu, "action size");
  for (int i = 0; i < model_->nu; ++i) {
    if (!std::isfinite(action[i]))
      throw Error(fmt::format("{}: action[{}] is not a finite number ({})", env_id, i, action[i]));
    data_->ctrl[i] = action[i];
  }
  for (int k = 0; k < frame_skip_; ++k) mj_step(model_.get(), data_.get());
  mj_rnePostConstraint(model_.get(), data_.get());
}

void MujocoSim::Serialize(Archive& ar) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  auto field = [&ar](double* p, int n, const char* name) { ar(std::span<double>(p, static_cast<size_t>(n)), name); };
  if (ar.loading()) mj_resetData(m, d);
  ar(d->time);
  field(d->qpos, m->nq, "qpos");
  field(d->qvel, m->nv, "qvel");
  field(d->act, m->na, "act");
  field(d->ctrl, m->nu, "ctrl");
  std::vector<double> warmstart(d->qacc_warmstart, d->qacc_warmstart + m->nv);
  field(warmstart.data(), m->nv, "qacc_warmstart");
  if (ar.loading()) {
    // recompute everything derived, then put back what mj_step had left: its warm start and the
    // last-stage quantities the tasks read (below)
    mj_forward(m, d);
    mj_rnePostConstraint(m, d);
    std::copy(warmstart.begin(), warmstart.end(), d->qacc_warmstart);
  }
  // derived quantities as mj_step left them (its last stage), which the tasks read
  field(d->xpos, 3 * m->nbody, "xpos");
  field(d->xipos, 3 * m->nbody, "xipos");
  field(d->site_xpos, 3 * m->nsite, "site_xpos");
  field(d->cinert, 10 * m->nbody, "cinert");
  field(d->cvel, 6 * m->nbody, "cvel");
  field(d->cfrc_ext, 6 * m->nbody, "cfrc_ext");
  field(d->qfrc_actuator, m->nv, "qfrc_actuator");
  field(d->qfrc_constraint, m->nv, "qfrc_constraint");
}

}  // namespace ratchet
