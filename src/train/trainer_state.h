// Internal: the trainer's part of a checkpoint (its payload), read by the trainer to resume and by
// LoadTrainedModel to use an unfinished run.
#pragma once

#include <cmath>
#include <deque>
#include <vector>

#include "ratchet/train.h"

namespace ratchet {

// The first file Train (and SaveTrainedModel) writes into a run directory: the directory is
// Ratchet's, so a run stopped there before its first checkpoint may be started again
// (RunDirStatus::ours); no other non-empty directory is ever written into.
inline constexpr char kRunMarker[] = ".ratchet-run";
inline constexpr char kRunMarkerText[] = "a Ratchet run directory\n";

// The trainer's counters and records after the update a checkpoint was written at.
struct TrainerProgress {
  int updates = 0;
  int64_t steps = 0, episodes = 0;
  double wall_before = 0.0;          // wall time of the run so far
  std::deque<EpisodeStat> recent;    // the last 100 training episodes
  int64_t anchor_steps = 0;          // schedules after a resume that changed the total
  double anchor_remaining = 1.0;
  double best_eval = NAN, last_eval = NAN;  // periodic evaluations (NaN: none yet)
};

// SerializeTrainerPayload loading a whole payload of format `version` (no bytes may be left).
// The trainer's part of a checkpoint (its payload) after update p.updates, in both directions;
// ar.version() is the checkpoint's format. Loading checks the counters against tc and each other,
// and restores collector (environment copies, normalisers, generator) and algo (networks,
// optimiser), both built from the checkpoint's configuration tc; with `environments` false the
// environment copies are not restored (a model needs none of them). Saving is collective under
// MPI (every rank's environment copies go in). Throws Error for a corrupt payload.
void SerializeTrainerPayload(Archive& ar, const TrainConfig& tc, Collector& collector, Algorithm& algo,
                             TrainerProgress& p, bool environments = true);
void ReadTrainerPayload(const std::vector<uint8_t>& payload, uint32_t version, const TrainConfig& tc,
                        Collector& collector, Algorithm& algo, TrainerProgress* p, bool environments = true);

}  // namespace ratchet
