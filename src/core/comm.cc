// The one-process communicator, the choice of World() and the helpers built on AllGather.
#include <cstdlib>
#include <cstring>

#include "ratchet/bytes.h"
#include "core/comm_internal.h"
#include "ratchet/comm.h"

namespace ratchet {

namespace {

LaunchedWorld& LaunchedWorldSlot() {
  static LaunchedWorld world = nullptr;  // a function-local static: filled during static initialisation
  return world;
}

class SelfComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void AllGatherInto(std::span<const uint8_t> mine, std::vector<uint8_t>& all,
                     std::vector<size_t>& offsets) override {
    all.assign(mine.begin(), mine.end());
    offsets = {0, mine.size()};
  }
  void Send(int to, std::span<const uint8_t>) override { throw Error(NoPeer(to)); }
  std::optional<std::pair<int, std::vector<uint8_t>>> TryReceive() override { return std::nullopt; }
  std::vector<uint8_t> Receive(int from) override { throw Error(NoPeer(from)); }
  [[noreturn]] void Abort(int code) override { std::_Exit(code); }

 private:
  static std::string NoPeer(int r) {
    return "a one-process communicator has no rank " + std::to_string(r);
  }
};

}  // namespace

int LaunchedRanks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      if (std::strcmp(var, "SLURM_NTASKS") == 0 && std::getenv("PMIX_RANK") == nullptr &&
          std::getenv("PMI_RANK") == nullptr)
        continue;  // inside a Slurm allocation but not started as an MPI task
      return std::max(1, std::atoi(v));
    }
  }
  return 0;
}

std::string MpiUnavailable(int launched) {
  if (launched <= 1) return "";
  return "this process was started by mpirun as one of " + std::to_string(launched) +
         " ranks, but this Ratchet was built without MPI: install libopenmpi-dev and rebuild "
         "(cmake -DRATCHET_MPI=ON), or run without mpirun";
}

std::vector<std::vector<uint8_t>> Comm::AllGather(std::span<const uint8_t> mine) {
  std::vector<uint8_t> all;
  std::vector<size_t> offsets;
  AllGatherInto(mine, all, offsets);
  std::vector<std::vector<uint8_t>> out(offsets.size() - 1);
  for (size_t r = 0; r + 1 < offsets.size(); ++r) out[r].assign(all.begin() + offsets[r], all.begin() + offsets[r + 1]);
  return out;
}

Comm& Self() {
  static SelfComm self;
  return self;
}

void ProvideLaunchedWorld(LaunchedWorld world) { LaunchedWorldSlot() = world; }

bool BuiltWithMpi() { return LaunchedWorldSlot() != nullptr; }

Comm& World() {
  const int launched = LaunchedRanks();
  if (LaunchedWorld world = LaunchedWorldSlot(); world != nullptr && launched > 0) return world();
  if (const std::string problem = MpiUnavailable(launched); !problem.empty()) throw Error(problem);
  return Self();
}

void Agree(Comm& comm, const std::function<void()>& fn) {
  if (comm.size() == 1) {
    fn();  // alone: the exception as it is
    return;
  }
  std::string error;
  bool failed = false;
  try {
    fn();
  } catch (const std::exception& e) {
    failed = true;
    error = e.what();
  }
  ByteWriter w;
  w.Put<uint8_t>(failed);
  w.PutArray(std::span<const char>(error.data(), error.size()));
  const auto all = comm.AllGather(w.buf);
  int first = -1, failures = 0;
  std::string message;
  for (int r = 0; r < static_cast<int>(all.size()); ++r) {
    ByteReader rd(all[r], "agreement");
    if (rd.Get<uint8_t>() == 0) continue;
    ++failures;
    if (first < 0) {
      first = r;
      const std::vector<char> text = rd.GetVector<char>();
      message.assign(text.begin(), text.end());
    }
  }
  if (first < 0) return;
  if (first > 0 && failures < comm.size()) message = "rank " + std::to_string(first) + ": " + message;
  throw CollectiveError(message);
}

std::vector<uint8_t> Broadcast(Comm& comm, std::span<const uint8_t> from_rank0) {
  if (comm.size() == 1) return {from_rank0.begin(), from_rank0.end()};
  auto all = comm.AllGather(comm.rank() == 0 ? from_rank0 : std::span<const uint8_t>());
  return std::move(all[0]);
}

}  // namespace ratchet
