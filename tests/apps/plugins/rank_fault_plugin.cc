// A plugin whose environment fails on MPI rank 1 only, after 300 steps of each copy there: the
// whole job must stop with one message (tests/mpi/mpi_test.cc).
#include <cstdlib>
#include <cstring>

#include "point_mass.h"

namespace {

class FailsOnRankOne final : public ratchet::Env {
 public:
  FailsOnRankOne() {
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    fail_ = rank != nullptr && std::strcmp(rank, "1") == 0;
    spec_ = inner_.spec();
    spec_.id = "FailsOnRankOne-v0";
  }
  const ratchet::EnvSpec& spec() const override { return spec_; }
  bool can_save_state() const override { return true; }
  std::vector<uint8_t> SaveState() const override { return inner_.SaveState(); }
  void RestoreState(std::span<const uint8_t> state) override { inner_.RestoreState(state); }
  void Reset(uint64_t seed, std::span<float> obs) override { inner_.Reset(seed, obs); }
  void Reset(std::span<float> obs) override { inner_.Reset(obs); }
  ratchet::StepResult Step(std::span<const float> action, std::span<float> obs) override {
    if (fail_ && ++steps_ > 300) throw ratchet::Error("the simulator lost its licence server");
    return inner_.Step(action, obs);
  }

 private:
  PointMass inner_;
  ratchet::EnvSpec spec_;
  bool fail_ = false;
  int steps_ = 0;
};

}  // namespace

RATCHET_PLUGIN() {
  ratchet::RegisterEnv("FailsOnRankOne-v0", [] { return std::make_unique<FailsOnRankOne>(); },
                       {.max_episode_steps = 100, .reward_threshold = std::nullopt, .description = "fails on MPI rank 1"});
}
