// Hyperparameter search: search spaces and the samplers that propose settings from the results so
// far, random search and the Tree-structured Parzen Estimator (TPE). Both are seeded and are pure
// functions of (seed, the trials so far), so a tuning session that stops resumes by replaying its
// finished trials.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
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

// The search spaces compiled from configs/tune/<algo>.yaml, keyed by algorithm name.
const std::map<std::string, std::string>& EmbeddedSearchSpaces();

//---------------------------------- Tuning sessions -------------------------------------------

// One trial of a tuning session.
struct TuneTrial {
  enum class State { kComplete, kPruned, kFailed };
  int number = 0;
  Assignment assignment;           // what the sampler proposed
  std::vector<std::string> sets;   // the key=value settings it trained with
  State state = State::kComplete;
  double score = NAN;              // mean periodic evaluation over its seeds (NaN: failed)
  std::vector<double> curve;       // the mean over seeds of each periodic evaluation, in order
  std::string note;                // why it was pruned or failed
};
const char* StateName(TuneTrial::State s);

// The median pruner: prune a trial whose mean of its first `index + 1` evaluations (`value`) is
// below the median of that quantity over the completed trials that reached as far; never while
// fewer than `min_trials` of them did.
bool ShouldPrune(const std::vector<TuneTrial>& finished, size_t index, double value, int min_trials = 4);

// The session file (trials.yaml): every finished trial, so that a session resumes. Read throws
// Error naming the file for anything malformed.
std::string TrialsYaml(const SearchSpace& space, const std::vector<TuneTrial>& trials);
std::vector<TuneTrial> ParseTrials(const std::string& yaml, const SearchSpace& space, const std::string& source);

// The trials ranked by score (pruned and failed last): a Markdown table and a CSV.
std::string TrialsMarkdown(const SearchSpace& space, const std::vector<TuneTrial>& trials);
std::string TrialsCsv(const SearchSpace& space, const std::vector<TuneTrial>& trials);
// A preset entry for env_id (configs/<algo>.yaml style) holding `settings` (key, value as a run
// config writes it), headed by a comment naming the trial.
std::string PresetEntry(const std::string& env_id, const TuneTrial& trial,
                        const std::vector<std::pair<std::string, std::string>>& settings);

// The best complete trial (null when none).
const TuneTrial* BestTrial(const std::vector<TuneTrial>& trials);

// Writes a session's files into dir, each atomically: trials.yaml (to resume), trials.md and
// trials.csv (ranked), and best.yaml (`best_entry`, when given).
void WriteTuneFiles(const std::filesystem::path& dir, const SearchSpace& space, const std::vector<TuneTrial>& trials,
                    const std::optional<std::string>& best_entry);

}  // namespace ratchet
