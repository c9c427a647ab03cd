// The same environment as a CLI plugin:
//   ratchet --plugin ./libpoint_mass.so train --env PointMass-v0 --steps 80000
#include "point_mass.h"

RATCHET_PLUGIN() {
  ratchet::RegisterEnv("PointMass-v0", [] { return std::make_unique<PointMass>(); },
                       {.max_episode_steps = 100, .reward_threshold = -15.0,
                        .description = "2-D point mass reaching a random target (examples/custom_env)"});
}
