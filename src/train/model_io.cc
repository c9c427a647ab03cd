#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "ratchet/train.h"

namespace ratchet {
namespace {

constexpr char kMagic[8] = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'M'};
constexpr uint32_t kVersion = 1;

uint64_t Fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

template <typename T>
void Put(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

void PutFloats(std::vector<uint8_t>& out, std::span<const float> v) {
  Put<uint64_t>(out, v.size());
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  out.insert(out.end(), p, p + v.size_bytes());
}

}  // namespace

void SaveModel(const std::filesystem::path& path, const Policy& policy, const ValueFunction& value) {
  std::vector<uint8_t> buf(kMagic, kMagic + 8);
  Put(buf, kVersion);
  PutFloats(buf, policy.params());
  PutFloats(buf, value.params());
  Put(buf, Fnv1a(buf.data(), buf.size()));
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    out.flush();
    if (!out) throw Error(fmt::format("cannot write model file '{}'", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(fmt::format("cannot move '{}' to '{}': {}", tmp.string(), path.string(), ec.message()));
}

void LoadModel(const std::filesystem::path& path, Policy& policy, ValueFunction& value) {
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
  size_t pos = 12;
  auto read_floats = [&](std::span<float> dst, const char* what) {
    uint64_t n;
    if (pos + 8 > buf.size() - 8) throw Error(fmt::format("'{}' is truncated", name));
    std::memcpy(&n, buf.data() + pos, 8);
    pos += 8;
    if (n != dst.size())
      throw Error(fmt::format("'{}' holds {} {} parameters but the configured network has {}; "
                              "does config.yaml belong to this model?", name, n, what, dst.size()));
    if (pos + n * sizeof(float) > buf.size() - 8) throw Error(fmt::format("'{}' is truncated", name));
    std::memcpy(dst.data(), buf.data() + pos, n * sizeof(float));
    pos += n * sizeof(float);
  };
  read_floats(policy.params(), "policy");
  read_floats(value.params(), "value");
}

}  // namespace ratchet
