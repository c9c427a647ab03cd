// Ratchet's deployable policy: load a .rpol file written by `ratchet export` and act.
//
// This header and its library (CMake target ratchet::deploy, `find_package(ratchet)`) depend
// on the C++ standard library only: no training code, no MuJoCo, no YAML. The policy acts
// exactly as `ratchet eval --deterministic` does: observations are normalised with the frozen
// training statistics, the network gives the distribution's mode (argmax of the logits for
// Discrete actions, the mean for Box actions) and Box actions are clipped to the action bounds.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ratchet {

// Thrown by Load/Save: the message names the file and what is wrong with it.
class DeployError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DeployedPolicy {
 public:
  // Everything a .rpol file holds.
  struct Contents {
    std::string env_id;             // the environment it was trained on (informational)
    int obs_dim = 0;
    bool discrete = false;          // Discrete(n): one action value, the index
    int num_actions = 0;            // n for Discrete, D for Box
    std::vector<float> action_low;  // Box bounds (D each); actions are clipped to them
    std::vector<float> action_high;
    bool tanh = true;               // hidden-layer nonlinearity: tanh, else ReLU
    std::vector<int> widths;        // obs_dim, hidden..., num_actions
    std::vector<float> params;      // per layer: W (out x in, column-major), then b (out)
    bool normalize_obs = false;     // z = clip((x - mean) / sqrt(var + 1e-8), -clip, clip)
    double obs_clip = 10.0;
    std::vector<double> obs_mean, obs_var;
  };

  explicit DeployedPolicy(Contents c);  // checks the sizes; throws DeployError
  DeployedPolicy(DeployedPolicy&&) noexcept;
  DeployedPolicy& operator=(DeployedPolicy&&) noexcept;
  ~DeployedPolicy();

  // Reads a .rpol file: magic "RATCHETP", format version, contents, FNV-1a checksum. Throws
  // DeployError for a missing file, wrong magic, newer version, truncation or a bad checksum.
  static DeployedPolicy Load(const std::string& path);
  // Writes the file atomically (temporary file, then rename).
  void Save(const std::string& path) const;

  const Contents& contents() const;
  int obs_dim() const;
  int action_dim() const;  // floats per action: 1 for Discrete, D for Box
  bool discrete() const;

  // The deterministic action for one raw observation (obs_dim floats) into `action`
  // (action_dim floats; a Discrete index is stored as a float). Uses per-object scratch:
  // one DeployedPolicy per thread. Throws DeployError on a size mismatch.
  void Act(std::span<const float> obs, std::span<float> action) const;
  std::vector<float> Act(std::span<const float> obs) const;
  // Discrete policies: the action index.
  int ActDiscrete(std::span<const float> obs) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ratchet
