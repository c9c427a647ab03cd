// MPI_COMM_WORLD as a Comm (Open MPI). Only byte movement: gathers and point-to-point messages.
#include <dlfcn.h>
#include <mpi.h>

#include <cstdlib>
#include <mutex>

#include "core/comm_internal.h"
#include "ratchet/comm.h"

namespace ratchet {

namespace {

constexpr int kTag = 7301;

void Check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, len));
}

class MpiComm final : public Comm {
 public:
  MpiComm() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      // Open MPI loads its transports as plugins that resolve symbols of libmpi itself; when
      // libmpi arrived with a library opened privately (the Python module), make it global first.
      Dl_info info{};
      if (dladdr(reinterpret_cast<void*>(&MPI_Init), &info) != 0 && info.dli_fname != nullptr)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
      int provided = 0;
      Check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      std::atexit([] {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
      });
    }
    // errors come back as return codes, so that they become exceptions with a message
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void AllGatherInto(std::span<const uint8_t> mine, std::vector<uint8_t>& all,
                     std::vector<size_t>& offsets) override {
    if (mine.size() > static_cast<size_t>(INT32_MAX)) throw Error("MPI: a message over 2 GiB");
    const int n = static_cast<int>(mine.size());
    counts_.resize(size_);
    displs_.resize(size_);
    Check(MPI_Allgather(&n, 1, MPI_INT, counts_.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    offsets.resize(size_ + 1);
    offsets[0] = 0;
    for (int r = 0; r < size_; ++r) {
      displs_[r] = static_cast<int>(offsets[r]);
      offsets[r + 1] = offsets[r] + static_cast<size_t>(counts_[r]);
      if (offsets[r + 1] > static_cast<size_t>(INT32_MAX)) throw Error("MPI: a gather over 2 GiB");
    }
    all.resize(offsets[size_]);
    Check(MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts_.data(), displs_.data(), MPI_BYTE,
                         MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  void Send(int to, std::span<const uint8_t> bytes) override {
    Check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, kTag, MPI_COMM_WORLD), "MPI_Send");
  }

  std::optional<std::pair<int, std::vector<uint8_t>>> TryReceive() override {
    int flag = 0;
    MPI_Status st;
    Check(MPI_Iprobe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
    if (!flag) return std::nullopt;
    return std::pair{st.MPI_SOURCE, Receive(st.MPI_SOURCE)};
  }

  std::vector<uint8_t> Receive(int from) override {
    MPI_Status st;
    Check(MPI_Probe(from, kTag, MPI_COMM_WORLD, &st), "MPI_Probe");
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    std::vector<uint8_t> out(n);
    Check(MPI_Recv(out.data(), n, MPI_BYTE, from, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    return out;
  }

  [[noreturn]] void Abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  int rank_ = 0, size_ = 1;
  std::vector<int> counts_, displs_;
};

}  // namespace

namespace {

Comm& MpiWorld() {
  static MpiComm world;  // MPI is initialised on the first call, finalised at exit
  return world;
}

// World() reaches MPI_COMM_WORLD through core's slot, filled as the library loads.
const bool provided = (ProvideLaunchedWorld(&MpiWorld), true);

}  // namespace

}  // namespace ratchet
