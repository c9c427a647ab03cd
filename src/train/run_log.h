// Internal: a run's logs. Every update appends one row to progress.csv, the same row as a JSON
// object to progress.jsonl, and the row's scalars to the TensorBoard event file; resuming from a
// checkpoint first cuts all three back to that checkpoint.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ratchet/log.h"
#include "ratchet/train.h"

namespace ratchet {

class RunLog {
 public:
  // fresh: starts new logs in run_dir. Otherwise keeps the first `rows` rows (and events up to
  // step `steps`) of the existing logs and appends after them.
  RunLog(const std::filesystem::path& run_dir, bool fresh, int rows, int64_t steps);

  // One value per ProgressColumns() entry (NaN: not defined this update).
  void Append(std::span<const double> row);
  // The final evaluation: TensorBoard scalars eval/return_mean and eval/return_std, and
  // run_dir/eval.json: the deterministic evaluation (episodes from `seed`) and, when given, the
  // stochastic one of the same episodes (stochastic_mean, stochastic_std, stochastic_returns).
  void Eval(int64_t steps, const EvalResult& deterministic, uint64_t seed, const EvalResult* stochastic = nullptr);

 private:
  std::filesystem::path dir_;
  std::ofstream csv_, jsonl_;
  std::unique_ptr<EventWriter> events_;
  std::vector<std::string> tags_;
};

}  // namespace ratchet
