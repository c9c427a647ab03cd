// Ratchet core: errors and checks, the splittable random number generator, the thread pool.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ratchet {

//---------------------------------- Errors ----------------------------------------------------

// A user error: bad config, unknown id, unreadable file, invalid action. The message names the
// problem and, where there is one, the fix. The CLI prints it as one line and exits with code 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken internal invariant (a bug in Ratchet, not in the input).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void FailCheck(const char* file, int line, const char* cond, const std::string& msg);

// Internal invariant check; stays on in release builds.
#define RATCHET_CHECK(cond, msg)                                  \
  do {                                                            \
    if (!(cond)) ::ratchet::FailCheck(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

//---------------------------------- Random numbers --------------------------------------------

// xoshiro256** seeded through SplitMix64. Streams are split off deterministically: Split(k) gives
// the same child for the same parent seed and k, and children are statistically independent.
class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  // Seeds stream `stream` of `seed`; (seed, 0) and (seed, 1) are unrelated sequences.
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0);

  // A child generator keyed by `key`; does not advance this generator.
  Rng Split(uint64_t key) const;

  uint64_t NextU64();
  // Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform double in [low, high).
  double Uniform(double low, double high) { return low + (high - low) * Uniform(); }
  // Standard normal (Box-Muller, one draw per call: no cached second value in the state).
  double Normal();
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n);

  const State& state() const { return s_; }
  // Throws Error for the all-zero state, which xoshiro never leaves (a corrupt saved state).
  void set_state(const State& s) {
    if ((s[0] | s[1] | s[2] | s[3]) == 0) throw Error("a saved generator state is all zeros (corrupt file)");
    s_ = s;
  }

 private:
  State s_;
};

//---------------------------------- Files -----------------------------------------------------

// Writes text as Ratchet writes every file of its own: to a temporary file beside `path`,
// flushed, checked, fsynced, renamed over it. Throws Error naming the path (`what` names the
// file: "run config") on any failure; the target is then untouched.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view text, std::string_view what);
// Reads a text file as Ratchet reads its own: a regular file only (a directory, FIFO or device is
// refused, never opened, so never a hang) of at most max_bytes. Throws Error naming the path.
std::string ReadTextFile(const std::filesystem::path& path, std::string_view what,
                         uint64_t max_bytes = uint64_t{64} << 20);

//---------------------------------- Build -----------------------------------------------------

// What this build of the library is (recorded when it was configured).
struct BuildInfo {
  const char* version;    // "0.1.0"
  const char* isa;        // the -march level of a portable build ("x86-64-v3"), or "native"
  bool portable;          // built for a stated ISA level (not -march=native)
  const char* build_type; // CMake's build type ("Release")
  const char* flags;      // the compile flags that affect code generation
  const char* compiler;   // "GNU 12.2.0"
  const char* eigen;      // Eigen's version
  // "package version" lines of the Debian packages it was built against (empty off Debian)
  const char* packages;
};
const BuildInfo& GetBuildInfo();
// The C library this process runs with ("glibc 2.36"), which supplies exp, log, sin, ...
std::string RuntimeLibc();

//---------------------------------- Thread pool -----------------------------------------------

// A fixed set of worker threads running fork-join loops. ParallelFor splits [0, n) into
// contiguous chunks, one per thread, so chunk boundaries depend only on n and the thread count;
// callers keep results independent of which thread runs a chunk by writing disjoint outputs.
// Jobs are claimed, not assigned: the calling thread takes any job no worker has started, so a
// round never waits on a worker the OS has not scheduled (several runs sharing two cores).
class ThreadPool {
 public:
  // num_threads counts the calling thread; 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over chunks of [0, n) and waits for all of them. By default one chunk
  // per thread; with grain > 0, chunks of `grain` indices that idle threads claim one by one
  // (load balancing for uneven work, such as environment copies that reset).
  void ParallelFor(int n, const std::function<void(int, int)>& fn, int grain = 0);
  // Runs a and b, concurrently when a worker is free, and waits for both.
  void Fork2(const std::function<void()>& a, const std::function<void()>& b);

 private:
  void WorkerLoop();
  void RunJobs(int num_jobs, const std::function<void(int)>& job);
  // Claims and runs jobs of round `round` until none is left.
  void Drain(uint32_t round);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<int> num_jobs_{0};
  // high 32 bits: the round; low 32 bits: the next unclaimed job of that round
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace ratchet
