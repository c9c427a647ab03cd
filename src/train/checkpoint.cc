#include "train/checkpoint.h"

#include <algorithm>
#include <fmt/format.h>

#include "core/file.h"
#include "ratchet/bytes.h"

namespace ratchet {
namespace {

constexpr Magic kMagic = {'R', 'A', 'T', 'C', 'H', 'E', 'T', 'C'};
// 2: environment states carry the generator and counters in EnvBase's layout
// 3: the trainer's payload ends with the schedule anchor (resume --steps)
// 4: ... then the best and the latest periodic evaluation
constexpr uint32_t kVersion = kCheckpointFormatVersion;

std::vector<std::filesystem::path> CheckpointFiles(const std::filesystem::path& dir) {
  // only ckpt-<digits>.bin, ordered by the number (a crafted name cannot sort itself first or last)
  std::vector<std::pair<uint64_t, std::filesystem::path>> found;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 10 || name.rfind("ckpt-", 0) != 0 || e.path().extension() != ".bin") continue;
    const std::string digits = name.substr(5, name.size() - 9);
    if (digits.empty() || digits.size() > 10 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    found.emplace_back(std::stoull(digits), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> files;
  for (auto& [n, path] : found) files.push_back(std::move(path));
  return files;
}

}  // namespace

void WriteCheckpoint(const std::filesystem::path& run_dir, int update, const std::string& config_yaml,
                     const std::vector<uint8_t>& payload, int keep) {
  const std::filesystem::path dir = run_dir / "checkpoints";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", dir.string(), ec.message()));
  ByteWriter w;
  w.PutArray(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(config_yaml.data()), config_yaml.size()));
  w.PutArray(std::span<const uint8_t>(payload));
  WriteFileAtomically(dir / fmt::format("ckpt-{:08d}.bin", update), Frame(kMagic, kVersion, w.buf), "checkpoint");
  const auto files = CheckpointFiles(dir);
  for (size_t i = 0; i + keep < files.size(); ++i) std::filesystem::remove(files[i], ec);
}

LoadedCheckpoint LoadCheckpoint(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = ReadWholeFile(path, "checkpoint");
  const std::string name = path.string();
  const Unframed u = Unframe(bytes, kMagic, kVersion, name, "checkpoint");
  if (u.version < 2)
    throw Error(fmt::format("checkpoint '{}' was written by an older Ratchet (format version {}), whose "
                            "environment states this build cannot restore; start the run again",
                            name, u.version));
  ByteReader r(u.body, "checkpoint '" + name + "'");
  LoadedCheckpoint out;
  out.path = path;
  out.version = u.version;
  const auto cfg = r.GetVector<uint8_t>();
  out.config_yaml.assign(cfg.begin(), cfg.end());
  out.payload = r.GetVector<uint8_t>();
  r.ExpectEnd();
  return out;
}

std::filesystem::path LatestCheckpointPath(const std::filesystem::path& run_dir) {
  const auto files = CheckpointFiles(run_dir / "checkpoints");
  return files.empty() ? std::filesystem::path() : files.back();
}

LoadedCheckpoint LoadLatestCheckpoint(const std::filesystem::path& run_dir) {
  const auto files = CheckpointFiles(run_dir / "checkpoints");
  if (files.empty())
    throw Error(fmt::format("run directory '{}' has no checkpoint to resume from", run_dir.string()));
  return LoadCheckpoint(files.back());
}

}  // namespace ratchet
