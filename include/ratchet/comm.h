// Ratchet's processes working together: a communicator over the ranks of an MPI job (Open MPI),
// or over one process when there is no job. The trainer, the vector environment and the sweep use
// it; every collective moves bytes, never sums floats, so no result depends on how many ranks
// there are.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ratchet/core.h"

namespace ratchet {

// The ranks of one job. Collective calls must be made by every rank in the same order.
class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Collective: every rank's bytes, in rank order.
  std::vector<std::vector<uint8_t>> AllGather(std::span<const uint8_t> mine);
  // The same into buffers the caller keeps (no allocation once they are large enough): every
  // rank's bytes concatenated in rank order in `all`, rank r's at [offsets[r], offsets[r + 1]).
  virtual void AllGatherInto(std::span<const uint8_t> mine, std::vector<uint8_t>& all,
                             std::vector<size_t>& offsets) = 0;
  // Point to point (a rank other than this one), for work queues.
  virtual void Send(int to, std::span<const uint8_t> bytes) = 0;
  // The next message from any rank, without waiting; nullopt when none has arrived.
  virtual std::optional<std::pair<int, std::vector<uint8_t>>> TryReceive() = 0;
  // Waits for the next message from rank `from`.
  virtual std::vector<uint8_t> Receive(int from) = 0;
  // Ends every rank of the job with this exit status (for a failure only this rank knows of).
  [[noreturn]] virtual void Abort(int code) = 0;
};

// The job this process belongs to: MPI_COMM_WORLD when it was started by mpirun (MPI is
// initialised on the first call and finalised at exit), else a communicator of one rank. Throws
// Error when started by mpirun with more than one rank but built without MPI.
Comm& World();
// A communicator of this process alone.
Comm& Self();
// Whether this build has MPI support.
bool BuiltWithMpi();

// An error every rank of a job raised together (so every rank knows of it and none is left
// waiting): the command line prints it once, on rank 0.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

// Runs fn on every rank, then agrees: when fn threw on any rank, every rank throws a
// CollectiveError with the message of the first rank that failed (prefixed with its rank when that
// is not rank 0 and not every rank failed). With one rank, fn's exception propagates unchanged.
void Agree(Comm& comm, const std::function<void()>& fn);

// Collective: rank 0's bytes on every rank.
std::vector<uint8_t> Broadcast(Comm& comm, std::span<const uint8_t> from_rank0);

}  // namespace ratchet
