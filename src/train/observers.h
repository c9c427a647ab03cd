// Internal: the trainer's own observers (ratchet/train.h, TrainObserver). The loop
// (src/train/trainer.cc) notifies them in the order MakeTrainerObservers gives: the periodic
// evaluation (it adds columns to the row), the logs, the progress line, the caller's callbacks and
// observers, then the conditions that stop a run or ask for a checkpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

#include "ratchet/train.h"
#include "train/run_log.h"
#include "train/trainer_state.h"

namespace ratchet {

// What the trainer's observers read and keep: the run's settings and directory and the records a
// checkpoint holds (best and last periodic evaluation).
struct TrainerContext {
  const TrainConfig* tc = nullptr;
  std::filesystem::path run_dir;
  TrainerProgress* progress = nullptr;  // best_eval and last_eval are the evaluation's to update
  std::chrono::steady_clock::time_point start;  // when this process began training
  bool lead = true;                             // rank 0: prints the progress line
  bool single_process = true;                   // not under MPI (evaluations may be interrupted)
  const std::atomic<bool>* signalled = nullptr;  // RequestStop was called
  std::optional<EvalResult>* final_eval = nullptr;  // the periodic evaluation at the last update
};

// The observers of a run in notification order: the trainer's own, with the caller's callbacks
// and observers (opt) in their place among them.
struct TrainerObservers {
  std::vector<std::unique_ptr<TrainObserver>> owned;
  std::vector<TrainObserver*> order;
};
// `log` may be null (ranks other than 0 write none).
TrainerObservers MakeTrainerObservers(const TrainerContext& ctx, const TrainOptions& opt, RunLog* log);

// "12.3s", "4m05s", "2h07m".
std::string Duration(double seconds);

}  // namespace ratchet
