#include "targets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/deploy.h"
#include "ratchet/train.h"
#include "train/checkpoint.h"
#include "train/yaml_util.h"

namespace ratchet::fuzz {
namespace {

// A scratch path of this process (in /dev/shm when there is one: no disk traffic).
std::filesystem::path ScratchDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    d /= "ratchet_fuzz_" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::filesystem::path Scratch(const char* name) { return ScratchDir() / name; }

void WriteRaw(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int FuzzPolicyFile(const uint8_t* data, size_t size) {
  // the first byte picks the version field (valid or not); the rest is the body
  const uint32_t version = size > 0 ? data[0] % 3 : 1;
  const std::vector<uint8_t> body(data + (size > 0), data + size);
  const auto path = Scratch("p.rpol");
  WriteRaw(path, Frame({'R', 'A', 'T', 'C', 'H', 'E', 'T', 'P'}, version, body));
  try {
    const DeployedPolicy p = DeployedPolicy::Load(path.string());
    std::vector<float> obs(static_cast<size_t>(p.obs_dim()), 0.5f), act(static_cast<size_t>(p.action_dim()));
    p.Act(obs, act);
  } catch (const DeployError&) {
  }
  return 0;
}

int FuzzCheckpoint(const uint8_t* data, size_t size) {
  const uint32_t version = size > 0 ? 1 + data[0] % 3 : 3;
  const std::vector<uint8_t> body(data + (size > 0), data + size);
  const auto dir = Scratch("run");
  std::filesystem::create_directories(dir / "checkpoints");
  WriteRaw(dir / "checkpoints" / "ckpt-00000004.bin", Frame({'R', 'A', 'T', 'C', 'H', 'E', 'T', 'C'}, version, body));
  try {
    const LoadedCheckpoint ck = LoadLatestCheckpoint(dir);
    // the trainer's first reads: counters and the episode window
    ByteReader r(ck.payload, "checkpoint");
    r.Get<int>();
    r.Get<int64_t>();
    r.Get<int64_t>();
    r.Get<double>();
    const uint64_t n = r.Get<uint64_t>();
    for (uint64_t k = 0; k < n && k < 100; ++k) {
      r.Get<int>();
      r.Get<double>();
      r.Get<int>();
    }
    r.GetVector<float>();
  } catch (const Error&) {
  }
  return 0;
}

int FuzzPresetYaml(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    PresetFor(text, "CartPole-v1", "fuzz.yaml");
    const YAML::Node root = LoadYaml(text, "fuzz.yaml");
    if (root.IsMap())
      for (const auto& [key, value] : MapEntries(root, "fuzz.yaml", "a config file")) {
        if (value.IsScalar()) YamlScalar(value, "fuzz.yaml", key);
        if (!value.IsMap()) YamlValueText(value, "fuzz.yaml", key);
      }
  } catch (const Error&) {
  }
  return 0;
}

void CleanUp() {
  std::error_code ec;
  std::filesystem::remove_all(ScratchDir(), ec);
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
      {"policy_file", FuzzPolicyFile}, {"checkpoint", FuzzCheckpoint}, {"preset_yaml", FuzzPresetYaml}};
  return targets;
}

}  // namespace ratchet::fuzz
