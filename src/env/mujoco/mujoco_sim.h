// The MuJoCo machinery every locomotion task shares (Gymnasium's MujocoEnv): model loading with
// clear errors, mjModel/mjData ownership, reset with noise, frame skipping, state save/restore.
// Each task (src/env/mujoco/<task>.cc) owns one MujocoSim and adds its observation, reward and
// termination; see docs/ENVIRONMENTS.md#mujoco-tasks-common-rules.
#pragma once

#include <mujoco/mujoco.h>

#include <map>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ratchet/bytes.h"
#include "ratchet/env.h"

namespace ratchet {

struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Compiles MJCF text; `name` labels errors. Throws Error with MuJoCo's message on bad XML.
MjModelPtr LoadMujocoModelXml(const std::string& xml, const std::string& name);
// Compiles an MJCF file (its includes and meshes relative to it). Throws Error for a missing file
// or bad XML.
MjModelPtr LoadMujocoModelFile(const std::string& path);
// The models compiled into the binary, keyed by file stem ("half_cheetah").
const std::map<std::string, std::string>& EmbeddedMujocoModels();

class MujocoSim {
 public:
  // Loads the file xml_path when it is given; otherwise the embedded model `model_name`, or the
  // file RATCHET_MODEL_DIR/<name>.xml when that environment variable is set.
  MujocoSim(const std::string& model_name, int frame_skip, const std::string& xml_path = "");

  const mjModel* model() const { return model_.get(); }
  const mjData* data() const { return data_.get(); }
  mjData* mutable_data() { return data_.get(); }  // for rendering, which writes scratch fields
  int frame_skip() const { return frame_skip_; }
  int nq() const { return model_->nq; }
  int nv() const { return model_->nv; }
  int nu() const { return model_->nu; }
  double dt() const { return model_->opt.timestep * frame_skip_; }
  std::span<const double> qpos() const { return {data_->qpos, static_cast<size_t>(model_->nq)}; }
  std::span<const double> qvel() const { return {data_->qvel, static_cast<size_t>(model_->nv)}; }
  std::span<const double> init_qpos() const { return init_qpos_; }

  // Box(ctrlrange) of the actuators, in ctrl order.
  Space ActionSpace() const;
  // mj_resetData, then qpos/qvel set as given, act cleared, mj_forward (Gymnasium's set_state).
  void ResetTo(std::span<const double> qpos, std::span<const double> qvel);
  // ctrl = action (unclipped: MuJoCo clamps to ctrlrange itself), frame_skip x mj_step, then
  // mj_rnePostConstraint once. Throws Error for a non-finite action.
  void DoSimulation(std::span<const float> action, const std::string& env_id);
  // Body frame position (data.xpos) of body `id`.
  std::span<const double> xpos(int body) const { return {data_->xpos + 3 * body, 3}; }
  // Throws Error naming the model when it has no such body.
  int BodyId(const char* name) const;

  // The replacement model's path when RATCHET_MODEL_DIR supplied it, else empty.
  const std::string& source() const { return source_; }
  // Everything mj_step reads: time, qpos, qvel, act, ctrl, warm-start acceleration.
  void Serialize(Archive& ar);

 private:
  void MakeData();

  std::shared_ptr<const mjModel> model_;  // shared by every copy of an embedded model
  MjDataPtr data_;
  std::string source_;  // the replacement model's file under RATCHET_MODEL_DIR; empty: embedded
  int frame_skip_;
  std::vector<double> init_qpos_;
};

}  // namespace ratchet
