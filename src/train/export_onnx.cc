// `ratchet export --format onnx`: a run's policy as one ONNX graph (opset 13), from the raw
// observation to the action, written with protobuf from Ratchet's subset of the ONNX schema
// (proto/ratchet_onnx.proto). The graph computes what DeployedPolicy computes, in the same order:
//
//   obs (float, [batch, obs_dim])
//   -> normalisation in double, as training and DeployedPolicy do it: Cast, Sub(mean),
//      Div(sqrt(var + 1e-8)), Clip(-clip, clip), Cast back to float   (when the run normalises)
//   -> the policy MLP: Gemm (W^T, b), Tanh or Relu between layers     -> "mean" / "logits"
//   -> Box: Max(low), Min(high) = the clipped mean                     -> "action" (float)
//      Discrete: ArgMax(axis 1), the first maximal logit               -> "action" (int64)
//   and, from the same normalised observation: Box "log_std" (the state-independent log standard
//   deviation, [act_dim]) and "value" ([batch, 1], the value network).
//
// Normalisation is exact to the bit. The matrix products are the runtime's own, so actions agree
// with DeployedPolicy to float rounding (the tests allow 1e-5), and exactly for argmax unless
// two logits tie to that rounding.
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/file.h"
#include "ratchet_onnx.pb.h"
#include "ratchet/train.h"

namespace ratchet {
namespace {

namespace ox = ratchet::onnx;

constexpr int64_t kOpset = 13;
constexpr int64_t kIrVersion = 7;  // the IR version of opset 13

template <typename T>
void AddTensor(ox::GraphProto* g, const std::string& name, int data_type, std::vector<int64_t> dims,
               std::span<const T> values) {
  ox::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(data_type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size_bytes()));
}

void AddFloats(ox::GraphProto* g, const std::string& name, std::vector<int64_t> dims, std::span<const float> v) {
  AddTensor(g, name, ox::TensorProto::FLOAT, std::move(dims), v);
}

void AddDoubles(ox::GraphProto* g, const std::string& name, std::vector<int64_t> dims, std::span<const double> v) {
  AddTensor(g, name, ox::TensorProto::DOUBLE, std::move(dims), v);
}

ox::NodeProto* AddNode(ox::GraphProto* g, const std::string& op, std::vector<std::string> in, const std::string& out) {
  ox::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(out);
  for (std::string& s : in) n->add_input(std::move(s));
  n->add_output(out);
  return n;
}

void SetInt(ox::NodeProto* n, const std::string& name, int64_t v) {
  ox::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(ox::AttributeProto::INT);
  a->set_i(v);
}

// A graph input or output: elem_type, [batch, dims...] ("batch" symbolic when batch is true).
void Declare(google::protobuf::RepeatedPtrField<ox::ValueInfoProto>* where, const std::string& name, int elem_type,
             bool batch, std::vector<int64_t> dims, const std::string& doc) {
  ox::ValueInfoProto* v = where->Add();
  v->set_name(name);
  v->set_doc_string(doc);
  ox::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  ox::TensorShapeProto* shape = t->mutable_shape();
  if (batch) shape->add_dim()->set_dim_param("batch");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

// The MLP with parameters `params` (per layer W out x in column-major, then b) on input `x`;
// returns the name of its output. Initializers and nodes are named prefix + layer.
std::string AddMlp(ox::GraphProto* g, const Mlp<float>& mlp, std::span<const float> params, std::string x,
                   const std::string& prefix, const std::string& out) {
  const bool tanh = mlp.spec().activation == Activation::kTanh;
  const int layers = mlp.num_layers();
  for (int l = 0; l < layers; ++l) {
    const int in = mlp.width(l), width = mlp.width(l + 1);
    // column-major out x in is row-major in x out: W^T, Gemm's B as it stands
    const std::span<const float> w = params.subspan(mlp.weight_offset(l), static_cast<size_t>(width) * in);
    const std::span<const float> b = params.subspan(mlp.weight_offset(l) + static_cast<size_t>(width) * in, width);
    const std::string wn = fmt::format("{}{}_weight_t", prefix, l), bn = fmt::format("{}{}_bias", prefix, l);
    AddFloats(g, wn, {in, width}, w);
    AddFloats(g, bn, {width}, b);
    const bool last = l + 1 == layers;
    const std::string z = last ? out : fmt::format("{}{}_z", prefix, l);
    AddNode(g, "Gemm", {x, wn, bn}, z);
    if (!last) {
      x = fmt::format("{}{}_{}", prefix, l, tanh ? "tanh" : "relu");
      AddNode(g, tanh ? "Tanh" : "Relu", {z}, x);
    }
  }
  return out;
}

std::string SpaceText(const Space& s) {
  if (s.is_discrete()) return fmt::format("Discrete({})", s.n);
  return fmt::format("Box({}, float32, low [{}], high [{}])", s.flat_dim(), fmt::join(s.low, ", "),
                     fmt::join(s.high, ", "));
}

}  // namespace

std::string OnnxPolicyBytes(const TrainedModel& m) {
  CheckedDeployContents(m);
  const Policy& pi = *m.policy;
  const int od = pi.obs_dim(), dd = pi.dist_dim();
  ox::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("ratchet");
  model.set_producer_version(GetBuildInfo().version);
  model.set_doc_string(fmt::format("{} policy for {}: raw observation to deterministic action", m.cfg.train.algo,
                                   m.spec.id));
  ox::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"algo", m.cfg.train.algo},
           {"env", m.spec.id},
           {"ratchet_version", GetBuildInfo().version},
           {"observation_space", SpaceText(m.spec.observation_space)},
           {"action_space", SpaceText(m.spec.action_space)},
           {"normalize_obs", m.norm.enabled ? "true" : "false"},
           {"opset", std::to_string(kOpset)}}) {
    ox::StringStringEntryProto* e = model.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  ox::GraphProto* g = model.mutable_graph();
  g->set_name(fmt::format("ratchet_{}_{}", m.cfg.train.algo, m.spec.id));
  Declare(g->mutable_input(), "obs", ox::TensorProto::FLOAT, true, {od}, "raw observations, one row each");

  std::string x = "obs";
  if (m.norm.enabled) {
    std::vector<double> mean = m.norm.rms.mean, scale(od);
    for (int j = 0; j < od; ++j) scale[j] = std::sqrt(m.norm.rms.var[j] + 1e-8);
    const double lo[1] = {-m.norm.clip}, hi[1] = {m.norm.clip};
    AddDoubles(g, "obs_mean", {od}, mean);
    AddDoubles(g, "obs_scale", {od}, scale);
    AddDoubles(g, "obs_clip_low", {}, lo);
    AddDoubles(g, "obs_clip_high", {}, hi);
    SetInt(AddNode(g, "Cast", {"obs"}, "obs_double"), "to", ox::TensorProto::DOUBLE);
    AddNode(g, "Sub", {"obs_double", "obs_mean"}, "obs_centred");
    AddNode(g, "Div", {"obs_centred", "obs_scale"}, "obs_scaled");
    AddNode(g, "Clip", {"obs_scaled", "obs_clip_low", "obs_clip_high"}, "obs_clipped");
    SetInt(AddNode(g, "Cast", {"obs_clipped"}, "obs_normalized"), "to", ox::TensorProto::FLOAT);
    x = "obs_normalized";
  }
  const std::string dist = pi.discrete() ? "logits" : "mean";
  AddMlp(g, pi.mlp(), pi.params(), x, "policy_", dist);
  if (pi.discrete()) {
    ox::NodeProto* n = AddNode(g, "ArgMax", {dist}, "action");
    SetInt(n, "axis", 1);
    SetInt(n, "keepdims", 0);
    SetInt(n, "select_last_index", 0);  // the first maximal logit, as DeployedPolicy
    Declare(g->mutable_output(), "action", ox::TensorProto::INT64, true, {}, "the action index (argmax of logits)");
    Declare(g->mutable_output(), "logits", ox::TensorProto::FLOAT, true, {dd}, "the categorical distribution's logits");
  } else {
    AddFloats(g, "action_low", {dd}, m.spec.action_space.low);
    AddFloats(g, "action_high", {dd}, m.spec.action_space.high);
    AddNode(g, "Max", {dist, "action_low"}, "mean_above_low");
    AddNode(g, "Min", {"mean_above_low", "action_high"}, "action");
    AddFloats(g, "log_std_value", {dd}, pi.log_std());
    AddNode(g, "Identity", {"log_std_value"}, "log_std");
    Declare(g->mutable_output(), "action", ox::TensorProto::FLOAT, true, {dd},
            "the deterministic action: the Gaussian's mean clipped to the action bounds");
    Declare(g->mutable_output(), "mean", ox::TensorProto::FLOAT, true, {dd}, "the Gaussian's mean (unclipped)");
    Declare(g->mutable_output(), "log_std", ox::TensorProto::FLOAT, false, {dd},
            "the Gaussian's log standard deviation (the same for every observation)");
  }
  AddMlp(g, m.value->mlp(), m.value->params(), x, "value_", "value");
  Declare(g->mutable_output(), "value", ox::TensorProto::FLOAT, true, {1}, "the value network's estimate");
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw Error("the ONNX model could not be serialised");
  return bytes;
}

void ExportOnnx(const TrainedModel& m, const std::filesystem::path& path) {
  WriteFileAtomically(path, OnnxPolicyBytes(m), "ONNX policy");
}

}  // namespace ratchet
