// Internals of World(), exposed for tests.
#pragma once

#include <string>

namespace ratchet {

// The number of ranks the launcher (mpirun, srun) announces in the environment: 0 when this
// process was not started by one.
int LaunchedRanks();

// The one-line error for a process that a launcher started as one of `launched` ranks in a build
// without MPI; empty when launched <= 1 (a lone process needs no MPI).
std::string MpiUnavailable(int launched);

}  // namespace ratchet
