// Internal: a run directory in use is locked. RUN_DIR/.lock is held with flock (released by the
// kernel when the process dies, kill -9 included) and holds the holder's pid for the message.
#pragma once

#include <filesystem>

namespace ratchet {

class RunDirLock {
 public:
  // Throws Error naming the directory and the holder's pid when another process holds it.
  explicit RunDirLock(const std::filesystem::path& run_dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ratchet
