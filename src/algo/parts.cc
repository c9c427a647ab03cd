#include "algo/parts.h"

#include <algorithm>

namespace ratchet {

void BatchParts::Cut(int b, int parts, int width, int stats) {
  RATCHET_CHECK(b >= 1 && parts >= 1 && width >= 0 && stats >= 0, "BatchParts::Cut arguments");
  const int C = std::min(parts, b);
  begin_.resize(C + 1);
  for (int c = 0; c <= C; ++c) begin_[c] = static_cast<int>(static_cast<int64_t>(b) * c / C);
  width_ = width;
  n_stats_ = stats;
  slots_.assign(static_cast<size_t>(C) * width, 0.0f);  // keeps its capacity
  stats_.assign(static_cast<size_t>(C) * stats, 0.0);
}

int BatchParts::first() const {
  return comm_ == nullptr ? 0 : static_cast<int>(static_cast<int64_t>(count()) * comm_->rank() / comm_->size());
}

int BatchParts::last() const {
  return comm_ == nullptr ? count()
                          : static_cast<int>(static_cast<int64_t>(count()) * (comm_->rank() + 1) / comm_->size());
}

void BatchParts::Run(int jobs_per_part, const std::function<void(int part, int job)>& job) {
  const int lo = first(), jobs = (last() - lo) * jobs_per_part;
  auto range = [&](int begin, int end) {
    for (int i = begin; i < end; ++i) job(lo + i / jobs_per_part, i % jobs_per_part);
  };
  if (pool_ != nullptr) {
    pool_->ParallelFor(jobs, range, 1);
  } else {
    range(0, jobs);
  }
}

void BatchParts::Combine(std::span<float> total, std::span<double> stats_total) {
  CombineInto({total}, stats_total);
}

void BatchParts::CombineInto(std::initializer_list<std::span<float>> totals, std::span<double> stats_total) {
  size_t width = 0;
  for (std::span<float> t : totals) width += t.size();
  RATCHET_CHECK(width == static_cast<size_t>(width_) && stats_total.size() == static_cast<size_t>(n_stats_),
                "BatchParts::Combine sizes");
  if (comm_ != nullptr) {
    // this rank's slots as bytes; the other ranks' into their parts' slots
    out_.buf.clear();
    out_.PutArray(std::span<const float>(slots_).subspan(static_cast<size_t>(first()) * width_,
                                                          static_cast<size_t>(last() - first()) * width_));
    out_.PutArray(std::span<const double>(stats_).subspan(static_cast<size_t>(first()) * n_stats_,
                                                           static_cast<size_t>(last() - first()) * n_stats_));
    comm_->AllGatherInto(out_.buf, in_, offsets_);
    const int k = comm_->size();
    for (int r = 0; r < k; ++r) {
      if (r == comm_->rank()) continue;
      const int lo = static_cast<int>(static_cast<int64_t>(count()) * r / k);
      const int hi = static_cast<int>(static_cast<int64_t>(count()) * (r + 1) / k);
      ByteReader rd(std::span<const uint8_t>(in_).subspan(offsets_[r], offsets_[r + 1] - offsets_[r]),
                    "part exchange");
      rd.GetArray(std::span<float>(slots_).subspan(static_cast<size_t>(lo) * width_, static_cast<size_t>(hi - lo) * width_),
                  "part results");
      rd.GetArray(std::span<double>(stats_).subspan(static_cast<size_t>(lo) * n_stats_,
                                                    static_cast<size_t>(hi - lo) * n_stats_),
                  "part statistics");
      rd.ExpectEnd();
    }
  }
  // sums in part order from zero, as ((0 + s_0) + s_1) + ...: the bits do not depend on where
  // the sums go (0 + x keeps -0 from surviving, as a zeroed sum always did)
  size_t offset = 0;
  for (std::span<float> total : totals) {
    const size_t n = total.size();
    const float* s0 = slots_.data() + offset;
    for (size_t i = 0; i < n; ++i) total[i] = 0.0f + s0[i];
    for (int c = 1; c < count(); ++c) {
      const float* s = slots_.data() + static_cast<size_t>(c) * width_ + offset;
      for (size_t i = 0; i < n; ++i) total[i] += s[i];
    }
    offset += n;
  }
  std::fill(stats_total.begin(), stats_total.end(), 0.0);
  for (int c = 0; c < count(); ++c) {
    const double* t = stats_.data() + static_cast<size_t>(c) * n_stats_;
    for (int i = 0; i < n_stats_; ++i) stats_total[i] += t[i];
  }
}

}  // namespace ratchet
