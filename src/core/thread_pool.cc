#include "ratchet/core.h"

namespace ratchet {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads < 1) throw Error("thread count must be at least 1, got " + std::to_string(num_threads));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    int num_jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      num_jobs = num_jobs_;
    }
    if (index < num_jobs) (*job)(index);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::RunJobs(int num_jobs, const std::function<void(int)>& job) {
  if (workers_.empty() || num_jobs <= 1) {
    for (int i = 0; i < num_jobs; ++i) job(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &job;
    num_jobs_ = num_jobs;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  start_cv_.notify_all();
  // the calling thread takes job 0 and any jobs beyond the worker count
  job(0);
  for (int i = num_threads(); i < num_jobs; ++i) job(i);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  const int chunks = std::min(n, num_threads());
  RunJobs(chunks, [&](int c) {
    const int begin = static_cast<int>(static_cast<int64_t>(n) * c / chunks);
    const int end = static_cast<int>(static_cast<int64_t>(n) * (c + 1) / chunks);
    fn(begin, end);
  });
}

void ThreadPool::Fork2(const std::function<void()>& a, const std::function<void()>& b) {
  RunJobs(2, [&](int i) { (i == 0 ? a : b)(); });
}

}  // namespace ratchet
