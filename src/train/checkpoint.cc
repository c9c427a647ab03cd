#include "train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

#include "core/bytes.h"

namespace ratchet {
namespace {

constexpr char kMagic[8] = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'C'};
constexpr uint32_t kVersion = 1;

std::vector<std::filesystem::path> CheckpointFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && e.path().extension() == ".bin") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // zero-padded update numbers sort in order
  return files;
}

void WriteDurably(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error(fmt::format("cannot write checkpoint '{}'", tmp));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      close(fd);
      throw Error(fmt::format("cannot write checkpoint '{}' (disk full?)", tmp));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) throw Error(fmt::format("cannot flush checkpoint '{}'", tmp));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(fmt::format("cannot move '{}' to '{}': {}", tmp, path.string(), ec.message()));
  const int dfd = open(path.parent_path().c_str(), O_RDONLY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

}  // namespace

void WriteCheckpoint(const std::filesystem::path& run_dir, int update, const std::string& config_yaml,
                     const std::vector<uint8_t>& payload, int keep) {
  const std::filesystem::path dir = run_dir / "checkpoints";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", dir.string(), ec.message()));
  ByteWriter w;
  w.buf.assign(kMagic, kMagic + 8);
  w.Put(kVersion);
  w.PutArray(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(config_yaml.data()), config_yaml.size()));
  w.PutArray(std::span<const uint8_t>(payload));
  w.Put(Fnv1a(w.buf.data(), w.buf.size()));
  WriteDurably(dir / fmt::format("ckpt-{:08d}.bin", update), w.buf);
  const auto files = CheckpointFiles(dir);
  for (size_t i = 0; i + keep < files.size(); ++i) std::filesystem::remove(files[i], ec);
}

LoadedCheckpoint LoadCheckpoint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read checkpoint '{}'", path.string()));
  std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = path.string();
  if (buf.size() < 8 || std::memcmp(buf.data(), kMagic, 8) != 0)
    throw Error(fmt::format("'{}' is not a Ratchet checkpoint (wrong magic)", name));
  if (buf.size() < 8 + 4 + 8) throw Error(fmt::format("checkpoint '{}' is truncated", name));
  uint32_t version;
  std::memcpy(&version, buf.data() + 8, 4);
  if (version > kVersion)
    throw Error(fmt::format("checkpoint '{}' has format version {}, newer than this build's {}; "
                            "upgrade Ratchet", name, version, kVersion));
  uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  if (Fnv1a(buf.data(), buf.size() - 8) != stored)
    throw Error(fmt::format("checkpoint '{}' is truncated or corrupt (checksum mismatch)", name));
  ByteReader r(std::span<const uint8_t>(buf).subspan(12, buf.size() - 20), "checkpoint '" + name + "'");
  LoadedCheckpoint out;
  out.path = path;
  const auto cfg = r.GetVector<uint8_t>();
  out.config_yaml.assign(cfg.begin(), cfg.end());
  out.payload = r.GetVector<uint8_t>();
  r.ExpectEnd();
  return out;
}

LoadedCheckpoint LoadLatestCheckpoint(const std::filesystem::path& run_dir) {
  const auto files = CheckpointFiles(run_dir / "checkpoints");
  if (files.empty())
    throw Error(fmt::format("run directory '{}' has no checkpoint to resume from", run_dir.string()));
  return LoadCheckpoint(files.back());
}

}  // namespace ratchet
