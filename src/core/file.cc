#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "ratchet/core.h"

namespace ratchet {
namespace {

// FNV-1a, 64 bit: the checksum of every framed file
uint64_t Fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

std::string Quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

[[noreturn]] void Fail(std::string_view what, const std::filesystem::path& path, const char* step, int err) {
  throw Error("cannot write " + std::string(what) + " " + Quote(path) + ": " + step + " failed (" +
              std::strerror(err) + ")");
}

}  // namespace

void WriteFileAtomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                         std::string_view what) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail(what, path, "creating the temporary file", errno);
  auto abandon = [&](const char* step) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    Fail(what, path, step, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      abandon("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) abandon("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    Fail(what, path, "close", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    Fail(what, path, "rename", err);
  }
  // the rename itself reaches the disk only with the directory
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  WriteFileAtomically(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                      what);
}

std::vector<uint8_t> ReadWholeFile(const std::filesystem::path& path, std::string_view what, uint64_t max_bytes) {
  std::string name = "cannot read ";
  name.append(what).append(" ").append(Quote(path));
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw Error(name);
  if (std::filesystem::is_directory(st)) throw Error(name.append(": it is a directory"));
  if (!std::filesystem::is_regular_file(st)) throw Error(name.append(": it is not a regular file (a FIFO or a device?)"));
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw Error(name.append(": it is ").append(std::to_string(size)).append(" bytes, more than the ")
                    .append(std::to_string(max_bytes)).append(" such a file can be"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(name);
  std::vector<uint8_t> buf;
  buf.reserve(static_cast<size_t>(ec ? 0 : size));
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    buf.insert(buf.end(), chunk, chunk + in.gcount());
    if (buf.size() > max_bytes) throw Error(name.append(": it grew past the size limit while read"));
  }
  if (in.bad()) throw Error(name.append(": read error"));
  return buf;
}

std::string ReadTextFile(const std::filesystem::path& path, std::string_view what, uint64_t max_bytes) {
  const std::vector<uint8_t> b = ReadWholeFile(path, what, max_bytes);
  return std::string(b.begin(), b.end());
}

uint64_t Checksum(std::span<const uint8_t> bytes) { return Fnv1a(bytes.data(), bytes.size()); }

std::vector<uint8_t> Frame(const Magic& magic, uint32_t version, std::span<const uint8_t> body) {
  std::vector<uint8_t> out(magic.size() + sizeof(version) + body.size() + sizeof(uint64_t));
  std::memcpy(out.data(), magic.data(), magic.size());
  std::memcpy(out.data() + magic.size(), &version, sizeof(version));
  if (!body.empty()) std::memcpy(out.data() + magic.size() + sizeof(version), body.data(), body.size());
  const size_t n = out.size() - sizeof(uint64_t);
  const uint64_t sum = Fnv1a(out.data(), n);
  std::memcpy(out.data() + n, &sum, sizeof(sum));
  return out;
}

Unframed Unframe(std::span<const uint8_t> bytes, const Magic& magic, uint32_t max_version,
                 const std::string& name, std::string_view kind) {
  const std::string k(kind);
  const std::string q = "'" + name + "'";
  if (bytes.size() < magic.size() || std::memcmp(bytes.data(), magic.data(), magic.size()) != 0)
    throw Error(q + " is not a Ratchet " + k + " (wrong magic)");
  constexpr size_t kHeader = 8 + sizeof(uint32_t), kTrailer = sizeof(uint64_t);
  if (bytes.size() < kHeader + kTrailer) throw Error(k + " " + q + " is truncated");
  Unframed u;
  std::memcpy(&u.version, bytes.data() + magic.size(), sizeof(u.version));
  if (u.version > max_version)
    throw Error(k + " " + q + " has format version " + std::to_string(u.version) +
                ", newer than this build's " + std::to_string(max_version) + "; upgrade Ratchet");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - kTrailer, kTrailer);
  if (Fnv1a(bytes.data(), bytes.size() - kTrailer) != stored)
    throw Error(k + " " + q + " is truncated or corrupt (checksum mismatch)");
  u.body = bytes.subspan(kHeader, bytes.size() - kHeader - kTrailer);
  return u;
}

}  // namespace ratchet
