#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "ratchet/core.h"

namespace ratchet {
namespace {

// Polling budget before sleeping on a condition variable (roughly 10-30 us). Rounds are short
// (a minibatch half is ~100 us), so a short poll catches most of them without a wake-up.
constexpr int kSpins = 4000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

uint32_t RoundOf(uint64_t t) { return static_cast<uint32_t>(t >> 32); }
uint32_t NextOf(uint64_t t) { return static_cast<uint32_t>(t); }

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads < 1) throw Error("thread count must be at least 1, got " + std::to_string(num_threads));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Drain(uint32_t round) {
  for (;;) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    const int num_jobs = num_jobs_.load(std::memory_order_relaxed);
    if (RoundOf(t) != round || NextOf(t) >= static_cast<uint32_t>(num_jobs)) return;
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) continue;
    // a successful claim proves the round is still open, so job_ is still alive
    (*job_.load(std::memory_order_relaxed))(static_cast<int>(NextOf(t)));
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == num_jobs) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_all();
    }
  }
}

void ThreadPool::WorkerLoop() {
  uint32_t seen = 0;
  for (;;) {
    auto has_work = [&] {
      const uint64_t t = ticket_.load(std::memory_order_acquire);
      return stop_.load(std::memory_order_acquire) ||
             (RoundOf(t) != seen && NextOf(t) < static_cast<uint32_t>(num_jobs_.load(std::memory_order_relaxed)));
    };
    bool ready = false;
    for (int k = 0; k < kSpins && !(ready = has_work()); ++k) CpuRelax();
    if (!ready) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_.load() || RoundOf(ticket_.load()) != seen; });
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = RoundOf(ticket_.load(std::memory_order_acquire));
    Drain(seen);
  }
}

void ThreadPool::RunJobs(int num_jobs, const std::function<void(int)>& job) {
  if (workers_.empty() || num_jobs <= 1) {
    for (int i = 0; i < num_jobs; ++i) job(i);
    return;
  }
  const uint32_t round = RoundOf(ticket_.load(std::memory_order_relaxed)) + 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_.store(&job, std::memory_order_relaxed);
    num_jobs_.store(num_jobs, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    ticket_.store(static_cast<uint64_t>(round) << 32, std::memory_order_release);
  }
  start_cv_.notify_all();
  Drain(round);
  // every job is claimed; wait for the ones workers are still running
  for (int k = 0; k < kSpins && done_.load(std::memory_order_acquire) != num_jobs; ++k) CpuRelax();
  if (done_.load(std::memory_order_acquire) != num_jobs) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return done_.load() == num_jobs; });
  }
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn, int grain) {
  if (n <= 0) return;
  // the job captures one reference, so std::function holds it in place: no allocation per call
  const struct {
    int n, chunks, grain;
    const std::function<void(int, int)>& fn;
  } job{n, grain > 0 ? (n + grain - 1) / grain : std::min(n, num_threads()), grain, fn};
  RunJobs(job.chunks, [&job](int c) {
    if (job.grain > 0) {
      job.fn(c * job.grain, std::min(job.n, (c + 1) * job.grain));
      return;
    }
    const int begin = static_cast<int>(static_cast<int64_t>(job.n) * c / job.chunks);
    const int end = static_cast<int>(static_cast<int64_t>(job.n) * (c + 1) / job.chunks);
    job.fn(begin, end);
  });
}

void ThreadPool::Fork2(const std::function<void()>& a, const std::function<void()>& b) {
  RunJobs(2, [&](int i) { (i == 0 ? a : b)(); });
}

}  // namespace ratchet
