// A plugin that registers one new environment, then an id that is already taken: loading it must
// fail with one line and leave neither registration behind.
#include "point_mass.h"

RATCHET_PLUGIN() {
  ratchet::RegisterEnv("PointMassTwin-v0", [] { return std::make_unique<PointMass>(); });
  ratchet::RegisterEnv("CartPole-v1", [] { return std::make_unique<PointMass>(); });
}
