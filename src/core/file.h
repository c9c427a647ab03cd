// Internal: the one way Ratchet writes and reads its files.
//
// WriteFileAtomically writes to a temporary file beside the target, flushes, checks every write,
// fsyncs, renames over the target and fsyncs the directory: a crash, a full disk or a failed
// write never leaves a partial or empty file where a good one was, and every failure is an
// Error naming the path. Framed files (model.bin, checkpoints, .rpol policies) are
// magic (8 bytes) | format version (u32) | body | FNV-1a of everything before (u64).
// Standard library only: the deploy library shares it.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ratchet {

// `what` names the file in messages ("model file", "checkpoint"). Throws Error on any failure;
// the target is then untouched and no temporary file is left behind.
void WriteFileAtomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                         std::string_view what);
void WriteFileAtomically(const std::filesystem::path& path, std::string_view text,
                         std::string_view what);
// Throws Error "cannot read <what> '<path>'" when the file is missing or unreadable, is not a
// regular file (a directory, a FIFO, a device: never opened, so never a hang), or is larger than
// max_bytes.
std::vector<uint8_t> ReadWholeFile(const std::filesystem::path& path, std::string_view what,
                                   uint64_t max_bytes = uint64_t{1} << 32);
// ReadTextFile (ratchet/core.h) reads text files (configurations, search spaces, sessions) so.

// FNV-1a (64 bit) of bytes: the checksum of framed files, also used to fingerprint inputs.
uint64_t Checksum(std::span<const uint8_t> bytes);

using Magic = std::array<char, 8>;

std::vector<uint8_t> Frame(const Magic& magic, uint32_t version, std::span<const uint8_t> body);

struct Unframed {
  uint32_t version = 0;
  std::span<const uint8_t> body;  // a view into the bytes given to Unframe
};
// Checks magic, version (<= max_version) and checksum. Throws Error naming `name` (the file) and
// `kind` ("model file", "checkpoint", "policy file") for wrong magic, a newer version, truncation
// or a checksum mismatch.
Unframed Unframe(std::span<const uint8_t> bytes, const Magic& magic, uint32_t max_version,
                 const std::string& name, std::string_view kind);

}  // namespace ratchet
