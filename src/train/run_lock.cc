#include "ratchet/train.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <string>

#include "ratchet/core.h"

namespace ratchet {

RunDirLock::RunDirLock(const std::filesystem::path& run_dir, const char* what, const char* users) {
  const std::filesystem::path path = run_dir / ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("cannot lock {} '{}': {}", what, run_dir.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    // the holder writes its pid right after taking the lock: wait a moment for it (a race of two
    // starts would otherwise read an empty file)
    std::string pid;
    for (int attempt = 0; attempt < 50 && pid.empty(); ++attempt) {
      char buf[32] = {};
      const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
      pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      pid = pid.substr(0, pid.find_first_of(" \n"));
      if (pid.empty()) ::usleep(10'000);
    }
    ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("{} '{}' is in use by {} ({}); wait for it to finish or choose another directory",
                            what, run_dir.string(), pid.empty() ? "another process" : "process " + pid, users));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    // the lock holds without the pid; only the message of a second process loses it
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace ratchet
