#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "core/bytes.h"
#include "ratchet/train.h"

namespace ratchet {
namespace {

constexpr char kMagic[8] = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'M'};
constexpr uint32_t kVersion = 2;  // 2: adds the observation normaliser

}  // namespace

void SaveModel(const std::filesystem::path& path, const Policy& policy, const ValueFunction& value,
               const ObsNormalizer& norm) {
  ByteWriter w;
  w.buf.assign(kMagic, kMagic + 8);
  w.Put(kVersion);
  w.PutArray(policy.params());
  w.PutArray(value.params());
  w.Put<uint8_t>(norm.enabled);
  w.Put(norm.clip);
  w.Put(norm.rms.count);
  w.PutArray(std::span<const double>(norm.rms.mean));
  w.PutArray(std::span<const double>(norm.rms.var));
  w.Put(Fnv1a(w.buf.data(), w.buf.size()));
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(w.buf.data()), static_cast<std::streamsize>(w.buf.size()));
    out.flush();
    if (!out) throw Error(fmt::format("cannot write model file '{}'", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(fmt::format("cannot move '{}' to '{}': {}", tmp.string(), path.string(), ec.message()));
}

void LoadModel(const std::filesystem::path& path, Policy& policy, ValueFunction& value,
               ObsNormalizer* norm) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read model file '{}'", path.string()));
  std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = path.string();
  if (buf.size() < 8 + 4 + 8 || std::memcmp(buf.data(), kMagic, 8) != 0)
    throw Error(fmt::format("'{}' is not a Ratchet model file (bad magic)", name));
  uint32_t version;
  std::memcpy(&version, buf.data() + 8, 4);
  if (version > kVersion)
    throw Error(fmt::format("'{}' has model format version {}, newer than this build's {}; upgrade "
                            "Ratchet", name, version, kVersion));
  uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  if (Fnv1a(buf.data(), buf.size() - 8) != stored)
    throw Error(fmt::format("'{}' is corrupt or truncated (checksum mismatch)", name));
  ByteReader r(std::span<const uint8_t>(buf).subspan(12, buf.size() - 20), "'" + name + "'");
  r.GetArray(policy.params(), "policy parameter");
  r.GetArray(value.params(), "value parameter");
  ObsNormalizer loaded(policy.obs_dim(), false, 10.0);
  if (version >= 2) {
    loaded.enabled = r.Get<uint8_t>() != 0;
    loaded.clip = r.Get<double>();
    loaded.rms.count = r.Get<double>();
    r.GetArray(std::span<double>(loaded.rms.mean), "normaliser mean");
    r.GetArray(std::span<double>(loaded.rms.var), "normaliser variance");
  }
  r.ExpectEnd();
  if (norm != nullptr) *norm = loaded;
}

TrainedModel LoadTrainedModel(const std::filesystem::path& run_dir) {
  TrainedModel m;
  m.cfg = LoadRunConfig(run_dir);
  m.spec = EnvSpecOf(m.cfg.train.env);
  m.policy = std::make_unique<Policy>(m.spec.observation_space, m.spec.action_space, m.cfg.train.net);
  m.value = std::make_unique<ValueFunction>(m.spec.observation_space.flat_dim(), m.cfg.train.net);
  LoadModel(run_dir / "model.bin", *m.policy, *m.value, &m.norm);
  return m;
}

}  // namespace ratchet
