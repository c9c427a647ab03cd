// Internals of World(), exposed for tests, and the slot through which a transport layer offers
// the launcher's job: core never calls up into src/mpi; src/mpi fills the slot when the library
// loads.
#pragma once

#include <string>

namespace ratchet {

// The number of ranks the launcher (mpirun, srun) announces in the environment: 0 when this
// process was not started by one.
int LaunchedRanks();

// The one-line error for a process that a launcher started as one of `launched` ranks in a build
// without MPI; empty when launched <= 1 (a lone process needs no MPI).
std::string MpiUnavailable(int launched);

class Comm;
// The communicator of a job started by a launcher, provided by a transport (src/mpi registers
// MPI_COMM_WORLD while the library loads). World() calls it when a launcher started this process;
// without one, World() is a one-rank communicator or, for a multi-rank launch, an Error.
using LaunchedWorld = Comm& (*)();
void ProvideLaunchedWorld(LaunchedWorld world);

}  // namespace ratchet
