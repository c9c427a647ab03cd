// Internal: checkpoint files. RUN_DIR/checkpoints/ckpt-<update>.bin holds magic "RATCHETC",
// a format version, the resolved config (YAML), the trainer's payload and an FNV-1a checksum.
// Written to a temporary file, fsync'ed and renamed; the newest `keep` are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ratchet {

// The format version WriteCheckpoint writes (LoadCheckpoint reads 2 up to it).
inline constexpr uint32_t kCheckpointFormatVersion = 4;

void WriteCheckpoint(const std::filesystem::path& run_dir, int update, const std::string& config_yaml,
                     const std::vector<uint8_t>& payload, int keep);

struct LoadedCheckpoint {
  std::filesystem::path path;
  uint32_t version = 0;
  std::string config_yaml;
  std::vector<uint8_t> payload;
};

// The newest checkpoint of run_dir. Throws Error when there is none, or when it has a wrong
// magic, a newer version, is truncated or fails its checksum (saying which).
LoadedCheckpoint LoadLatestCheckpoint(const std::filesystem::path& run_dir);
// The newest checkpoint file of run_dir, empty when there is none.
std::filesystem::path LatestCheckpointPath(const std::filesystem::path& run_dir);
// Reads and checks one checkpoint file.
LoadedCheckpoint LoadCheckpoint(const std::filesystem::path& path);

}  // namespace ratchet
