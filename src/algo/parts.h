// A batch cut into a fixed grid of parts, the parts computed on threads and MPI ranks, their
// results added in part order: sums over a batch that depend on the number of parts only, never on
// the thread or rank count. PPO's minibatch gradients and NPG/TRPO's gradient, Fisher-vector
// products and line-search sums use it (the `grad_chunks` setting).
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
#include <vector>

#include "ratchet/bytes.h"
#include "ratchet/comm.h"
#include "ratchet/core.h"

namespace ratchet {

class BatchParts {
 public:
  // pool may be null (serial); comm null: this process computes every part. Neither is owned.
  explicit BatchParts(ThreadPool* pool = nullptr) : pool_(pool) {}
  void set_comm(Comm* comm) { comm_ = comm != nullptr && comm->size() > 1 ? comm : nullptr; }

  // Cuts b columns into min(parts, b) parts (part c: columns [b c / C, b (c + 1) / C)) whose
  // results are `width` floats and `stats` doubles each, all zeroed.
  void Cut(int b, int parts, int width, int stats);
  int count() const { return static_cast<int>(begin_.size()) - 1; }
  int begin(int c) const { return begin_[c]; }
  int end(int c) const { return begin_[c + 1]; }
  // The parts this rank computes: [first(), last()).
  int first() const;
  int last() const;

  // Part c's result slots, for the jobs to fill.
  std::span<float> slot(int c) { return {slots_.data() + static_cast<size_t>(c) * width_, static_cast<size_t>(width_)}; }
  std::span<double> stats(int c) { return {stats_.data() + static_cast<size_t>(c) * n_stats_, static_cast<size_t>(n_stats_)}; }

  // Runs job(c, j) for each of this rank's parts c and j in [0, jobs_per_part), on the pool.
  void Run(int jobs_per_part, const std::function<void(int part, int job)>& job);
  // Hands every rank the other ranks' parts, then writes the sums over all parts, added in part
  // order, into total (width floats, overwritten) and stats_total (stats doubles, overwritten).
  void Combine(std::span<float> total, std::span<double> stats_total);
  // Combine with the sums written straight into consecutive destinations whose sizes add up to
  // the width (a policy's and a value's gradient, say): the same bits, without a copy.
  void CombineInto(std::initializer_list<std::span<float>> totals, std::span<double> stats_total);

 private:
  ThreadPool* pool_;
  Comm* comm_ = nullptr;
  std::vector<int> begin_;
  int width_ = 0, n_stats_ = 0;
  std::vector<float> slots_;
  std::vector<double> stats_;
  ByteWriter out_;  // exchange buffers, kept between calls
  std::vector<uint8_t> in_;
  std::vector<size_t> offsets_;
};

}  // namespace ratchet
