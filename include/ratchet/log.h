// Ratchet run logs: progress.csv read back, TensorBoard event files (TFRecord framing, masked
// CRC-32C, Event protobufs) and a reader for them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ratchet {

// A run's progress.csv read back (the trainer writes it: one row per update, ProgressColumns()).
struct ProgressTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // one value per column, NaN where the cell is empty

  // The index of a column; nullopt when the file has none (a run of an older Ratchet).
  std::optional<size_t> Find(const std::string& name) const;
  // A column's values, NaN where empty; throws Error naming the file when it has no such column.
  std::vector<double> Column(const std::string& name) const;
  std::filesystem::path path;
};
// Reads progress.csv. Strict (a finished or stopped run): a missing file, a row with another
// number of cells or a cell that is not a number is an Error naming the file and line. Not strict
// (a run still being written): a missing file is an empty table, and reading stops before the
// first incomplete or malformed row.
ProgressTable ReadProgress(const std::filesystem::path& csv, bool strict = true);

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), and TFRecord's masked form
// ((crc >> 15 | crc << 17) + 0xa282ead8).
uint32_t Crc32c(std::span<const uint8_t> data);
uint32_t MaskedCrc32c(std::span<const uint8_t> data);

// One scalar of an event file.
struct ScalarEvent {
  std::string tag;
  int64_t step = 0;
  double wall_time = 0.0;
  float value = 0.0f;
};

// Appends Event records to a TensorBoard event file ("events.out.tfevents.<time>.<host>"):
// TFRecord framing (uint64 length, masked CRC of the length, payload, masked CRC of the payload)
// around serialised Event messages. The first record of a new file carries the file version.
class EventWriter {
 public:
  // Opens `path` for appending; a new or empty file gets the file-version record first.
  explicit EventWriter(const std::filesystem::path& path);
  // Writes one Event holding the given scalars at `step` (tags and values pair up).
  void Scalars(int64_t step, double wall_time, std::span<const std::string> tags,
               std::span<const float> values);
  void Flush();
  const std::filesystem::path& path() const { return path_; }

 private:
  void Record(const std::string& payload);
  std::filesystem::path path_;
  std::ofstream out_;
};

// Reads every record of an event file, checking both CRCs of each; throws Error naming the
// record that is truncated or fails its checksum. `file_version` receives the version string.
std::vector<ScalarEvent> ReadEventFile(const std::filesystem::path& path,
                                       std::string* file_version = nullptr);

// Rewrites an event file keeping the file-version record and the events with step <= max_step
// (used when a run resumes from a checkpoint). Atomic: temporary file, then rename.
void TruncateEventFile(const std::filesystem::path& path, int64_t max_step);

// The event file of a run directory, or an empty path when it has none.
std::filesystem::path FindEventFile(const std::filesystem::path& run_dir);

}  // namespace ratchet
