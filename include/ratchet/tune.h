// Hyperparameter search: search spaces and the samplers that propose settings from the results so
// far, random search and the Tree-structured Parzen Estimator (TPE). Both are seeded and are pure
// functions of (seed, the trials so far), so a tuning session that stops resumes by replaying its
// finished trials.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ratchet {

// One hyperparameter's range.
struct SearchParam {
  enum class Kind { kUniform, kLogUniform, kInt, kCategorical };
  std::string name;  // a config key, e.g. learning_rate
  Kind kind = Kind::kUniform;
  double low = 0, high = 1;          // kUniform, kLogUniform (low > 0), kInt (whole numbers)
  std::vector<std::string> choices;  // kCategorical: the values as --set would take them
};

struct SearchSpace {
  std::vector<SearchParam> params;
};

// Parses a search space: a YAML map from key to a range,
//   learning_rate: {log_uniform: [1.0e-5, 1.0e-2]}
//   clip_range: {uniform: [0.1, 0.4]}
//   n_epochs: {int: [3, 30]}
//   batch_size: {categorical: [32, 64, 128, 256]}
// Throws Error naming the source, the key and the problem (an unknown kind, low >= high, a
// non-positive log bound, an empty choice list, a duplicate key).
SearchSpace ParseSearchSpace(const std::string& yaml, const std::string& source);

// A proposed setting: one value per parameter of the space, in the space's order. Numeric values
// in `numbers` (integers exact), categorical ones as their index in `numbers` too.
struct Assignment {
  std::vector<double> numbers;
  // The value of parameter i as --set takes it ("0.0003", "64", "relu").
  std::string Text(const SearchSpace& space, size_t i) const;
};

// A finished trial: its setting and its score (higher is better; NaN: failed or pruned early).
struct TrialRecord {
  Assignment assignment;
  double score = 0.0;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The setting of trial number `trial` given the finished trials (in the order they finished).
  // Deterministic in (the sampler's seed, trial, history).
  virtual Assignment Suggest(const SearchSpace& space, int trial, const std::vector<TrialRecord>& history) const = 0;
};

// Independent uniform draws (log-uniform for kLogUniform, each whole number equally likely for
// kInt, each choice equally likely).
std::unique_ptr<Sampler> MakeRandomSampler(uint64_t seed);

// TPE (Bergstra, Bardenet, Bengio & Kegl 2011, "Algorithms for Hyper-Parameter Optimization"), the
// univariate form of hyperopt and Optuna: after `startup` random trials, the finished trials are
// split into the best gamma fraction ("good", at most 25) and the rest; each parameter gets a
// Parzen estimator l(x) over the good values and g(x) over the others (Gaussian kernels in the
// parameter's own or log scale, truncated to the range, with a flat prior component; smoothed
// frequencies for categorical ones); `candidates` values drawn from l are scored by l(x) / g(x)
// and the best is proposed.
struct TpeOptions {
  int startup = 10;
  int candidates = 24;
  double gamma = 0.1;  // the good fraction: ceil(gamma * n), at most 25
};
std::unique_ptr<Sampler> MakeTpeSampler(uint64_t seed, TpeOptions options = {});

}  // namespace ratchet
