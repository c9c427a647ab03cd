// RunSweep: a grid of runs, one child process per run. In one process the runs go to `jobs`
// children at a time; in an MPI job rank 0 hands them out, one run per rank at a time, to whichever
// rank is free; a shard takes a fixed share of the grid (job arrays).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <thread>

#include "ratchet/bytes.h"
#include "ratchet/experiment.h"
#include "train/child_process.h"

namespace ratchet {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// A run handed to a child process: its command line, its log, and how it went.
struct RunJob {
  const SweepRun* run;
  std::vector<std::string> args;
  fs::path log;
};

// Messages between rank 0 and the other ranks of an MPI sweep.
enum class Msg : uint8_t { kStop = 0, kRun = 1, kResult = 2 };

std::vector<uint8_t> RunMessage(uint32_t index, const RunJob& job) {
  ByteWriter w;
  w.Put(Msg::kRun);
  w.Put(index);
  w.Put<uint32_t>(static_cast<uint32_t>(job.args.size()));
  for (const std::string& a : job.args) w.PutArray(std::span<const char>(a.data(), a.size()));
  const std::string log = job.log.string();
  w.PutArray(std::span<const char>(log.data(), log.size()));
  return w.buf;
}

std::string GetString(ByteReader& r) {
  const std::vector<char> v = r.GetVector<char>();
  return {v.begin(), v.end()};
}

// A rank other than 0: runs what rank 0 sends, one at a time, until told to stop.
void SweepWorker(Comm& comm) {
  for (;;) {
    const std::vector<uint8_t> msg = comm.Receive(0);
    ByteReader r(msg, "sweep message");
    if (r.Get<Msg>() != Msg::kRun || g_stop_signal != 0) return;
    const uint32_t index = r.Get<uint32_t>();
    std::vector<std::string> args(r.Get<uint32_t>());
    for (std::string& a : args) a = GetString(r);
    const fs::path log = GetString(r);
    const auto start = Clock::now();
    int code = 127;
    try {
      code = WaitChild(Spawn(args, log));
    } catch (const Error& e) {
      std::ofstream(log, std::ios::app) << "ratchet: error: " << e.what() << "\n";
    }
    ByteWriter w;
    w.Put(Msg::kResult);
    w.Put(index);
    w.Put<int32_t>(code);
    w.Put(std::chrono::duration<double>(Clock::now() - start).count());
    comm.Send(0, w.buf);
  }
}

// Rank 0 of an MPI job hands runs out: to each rank as it reports its last one done, and to a
// child of its own whenever that one is free. `prepare(k)` makes run k's job; `report` records how
// it went.
template <class Prepare, class Report>
size_t HandOut(Comm& comm, size_t queued, Prepare prepare, Report report) {
  size_t next = 0;
  std::map<uint32_t, RunJob> remote;  // queue index -> job, running on another rank
  int busy_ranks = 0;
  for (int w = 1; w < comm.size(); ++w) {
    if (g_stop_signal == 0 && next < queued) {
      const uint32_t k = static_cast<uint32_t>(next);
      remote[k] = prepare(next++);
      comm.Send(w, RunMessage(k, remote[k]));
      ++busy_ranks;
    } else {
      comm.Send(w, std::vector<uint8_t>{static_cast<uint8_t>(Msg::kStop)});
    }
  }
  std::optional<RunJob> own;
  pid_t own_pid = -1;
  auto own_start = Clock::now();
  bool forwarded = false;
  while (busy_ranks > 0 || own || (g_stop_signal == 0 && next < queued)) {
    bool progressed = false;
    if (!own && g_stop_signal == 0 && next < queued) {
      own = prepare(next++);
      own_pid = Spawn(own->args, own->log);
      own_start = Clock::now();
      progressed = true;
    }
    if (g_stop_signal != 0 && !forwarded && own) {
      kill(own_pid, g_stop_signal);
      forwarded = true;
    }
    if (auto msg = comm.TryReceive()) {
      progressed = true;
      ByteReader r(msg->second, "sweep result");
      RATCHET_CHECK(r.Get<Msg>() == Msg::kResult, "sweep: unexpected message");
      const uint32_t k = r.Get<uint32_t>();
      const int code = r.Get<int32_t>();
      const double secs = r.Get<double>();
      const auto it = remote.find(k);
      RATCHET_CHECK(it != remote.end(), "sweep: a result for a run not handed out");
      report(it->second, code, secs);
      remote.erase(it);
      if (g_stop_signal == 0 && next < queued) {
        const uint32_t k2 = static_cast<uint32_t>(next);
        remote[k2] = prepare(next++);
        comm.Send(msg->first, RunMessage(k2, remote[k2]));
      } else {
        comm.Send(msg->first, std::vector<uint8_t>{static_cast<uint8_t>(Msg::kStop)});
        --busy_ranks;
      }
    }
    if (own) {
      int status = 0;
      if (waitpid(own_pid, &status, WNOHANG) == own_pid) {
        report(*own, ExitCode(status), std::chrono::duration<double>(Clock::now() - own_start).count());
        own.reset();
        progressed = true;
      }
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return next;
}

// One process: children of this process, `jobs` at a time.
template <class Prepare, class Report>
size_t RunLocally(int jobs, size_t queued, Prepare prepare, Report report) {
  struct Child {
    RunJob job;
    Clock::time_point start;
  };
  size_t next = 0;
  std::map<pid_t, Child> running;
  bool forwarded = false;
  while (next < queued || !running.empty()) {
    while (g_stop_signal == 0 && next < queued && static_cast<int>(running.size()) < jobs) {
      RunJob job = prepare(next++);
      const pid_t pid = Spawn(job.args, job.log);
      running[pid] = {std::move(job), Clock::now()};
    }
    if (g_stop_signal != 0 && !forwarded) {
      for (const auto& [pid, c] : running) kill(pid, g_stop_signal);  // each writes a checkpoint
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Child c = std::move(it->second);
    running.erase(it);
    report(c.job, ExitCode(status), std::chrono::duration<double>(Clock::now() - c.start).count());
  }
  return next;
}

}  // namespace

int RunSweep(const SweepOptions& opt_in, const RunnerOptions& runner) {
  Comm* comm = runner.comm;
  std::ostream& out = *runner.out;
  // a stop signal reaches the runs (each writes a checkpoint); no new run starts
  const StopSignalScope stop_scope;
  if (comm != nullptr && comm->size() > 1 && comm->rank() != 0) {
    // rank 0 plans and reports; its agreement below says whether there is anything to do
    Agree(*comm, [] {});
    SweepWorker(*comm);
    return 0;
  }
  const bool mpi = comm != nullptr && comm->size() > 1;
  SweepOptions opt = opt_in;
  int jobs = runner.jobs > 0 ? runner.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<SweepRun> plan;
  std::vector<std::string> self;
  auto plan_it = [&] {
    if (runner.jobs < 0 || runner.jobs > 256) throw Error(fmt::format("jobs must be 1 to 256, got {}", runner.jobs));
    if (mpi && runner.jobs != 0)
      throw Error("--jobs: under mpirun every rank trains one run at a time; start more ranks instead");
    if (mpi) jobs = comm->size();
    if (opt.shard && (opt.shard->first < 0 || opt.shard->first >= opt.shard->second))
      throw Error(fmt::format("shard {}/{}: expected I/K with 0 <= I < K", opt.shard->first, opt.shard->second));
    self = RunCommand(runner.command);
    // one thread per run unless asked otherwise: the runs are the parallelism (and results do not
    // depend on the thread count)
    opt.sets.insert(opt.sets.begin(), "threads=1");
    plan = PlanSweep(opt);
    std::error_code ec;
    fs::create_directories(opt.out / "logs", ec);
    if (ec) throw Error(fmt::format("cannot create '{}': {}", (opt.out / "logs").string(), ec.message()));
  };
  if (comm != nullptr)
    Agree(*comm, plan_it);
  else
    plan_it();

  std::map<SweepRun::State, int> count;
  std::vector<const SweepRun*> queue;
  const auto& shard = opt.shard;
  for (size_t k = 0; k < plan.size(); ++k) {
    if (shard && static_cast<int>(k % shard->second) != shard->first) continue;
    const SweepRun& r = plan[k];
    ++count[r.state];
    if (r.state == SweepRun::State::kConflict)
      *runner.err << fmt::format("ratchet: warning: leaving {} alone: {}\n", r.dir.string(), r.why);
    if (r.state == SweepRun::State::kNew || r.state == SweepRun::State::kResume || r.state == SweepRun::State::kRestart)
      queue.push_back(&r);
  }
  const size_t planned = shard ? queue.size() + count[SweepRun::State::kDone] + count[SweepRun::State::kConflict]
                               : plan.size();
  out << fmt::format("sweep: {} runs{} in {}: {} new, {} to resume, {} to restart, {} finished (skipped), "
                     "{} conflicting; {} at a time{}\n",
                     planned, shard ? fmt::format(" (shard {}/{} of {})", shard->first, shard->second, plan.size()) : "",
                     opt.out.string(), count[SweepRun::State::kNew], count[SweepRun::State::kResume],
                     count[SweepRun::State::kRestart], count[SweepRun::State::kDone],
                     count[SweepRun::State::kConflict], jobs, mpi ? " (one per MPI rank)" : "")
      << std::flush;

  const fs::path logs = opt.out / "logs";
  // the command line of queue[k] (a restart first clears what its directory holds)
  auto prepare = [&](size_t k) {
    const SweepRun& r = *queue[k];
    RunJob job{&r, self, logs / (r.dir.filename().string() + ".log")};
    auto& args = job.args;
    // the children load the same plugins (a resumed run also finds its own in config.yaml)
    for (const std::string& p : LoadedPlugins()) args.insert(args.end(), {"--plugin", p});
    if (r.state == SweepRun::State::kResume) {
      args.insert(args.end(), {"resume", r.dir.string(), "--quiet"});
    } else {
      if (r.state == SweepRun::State::kRestart) fs::remove_all(r.dir);  // no checkpoint: nothing to keep
      args.insert(args.end(), {"train", "--algo", r.cfg.train.algo, "--env", r.cfg.train.env, "--seed",
                               std::to_string(r.cfg.train.seed), "--run-dir", r.dir.string(), "--quiet"});
      if (opt.steps) args.insert(args.end(), {"--steps", std::to_string(*opt.steps)});
      if (!opt.preset_path.empty()) args.insert(args.end(), {"--config", opt.preset_path});
      for (const std::string& s : opt.sets) args.insert(args.end(), {"--set", s});
    }
    std::ofstream(job.log, std::ios::app) << fmt::format("# {}\n", fmt::join(args, " "));
    out << fmt::format("[{}/{}] {} {} {} seed {}\n", k + 1, queue.size(),
                       r.state == SweepRun::State::kResume ? "resuming" : "starting", r.cfg.train.algo,
                       r.cfg.train.env, r.cfg.train.seed)
        << std::flush;
    return job;
  };
  int finished = 0, failed = 0, interrupted = 0;
  auto report = [&](const RunJob& job, int code, double secs) {
    const SweepRun& r = *job.run;
    const std::string name = fmt::format("{} {} seed {}", r.cfg.train.algo, r.cfg.train.env, r.cfg.train.seed);
    if (code == 0 && fs::exists(r.dir / "model.bin")) {
      ++finished;
      const RunRecord rec = ReadRun(r.dir);
      out << fmt::format("  done {} in {:.1f} s: final return {:.1f}\n", name, secs, rec.FinalReturn());
    } else if (g_stop_signal != 0) {
      ++interrupted;
      out << fmt::format("  stopped {} (checkpointed; the next sweep resumes it)\n", name);
    } else {
      ++failed;
      out << fmt::format("  FAILED {} (exit {}): {} (log: {})\n", name, code, LastLine(job.log), job.log.string());
    }
    out << std::flush;
  };

  const size_t started = mpi ? HandOut(*comm, queue.size(), prepare, report)
                             : RunLocally(jobs, queue.size(), prepare, report);
  out << fmt::format("sweep: {} trained, {} skipped, {} failed, {} interrupted, {} left alone\n", finished,
                     count[SweepRun::State::kDone], failed, interrupted + (queue.size() - started),
                     count[SweepRun::State::kConflict]);
  if (g_stop_signal != 0) return 128 + g_stop_signal;
  if (failed > 0) return 1;
  // every run of the grid conflicts with what its directory holds: nothing could be done
  const int conflicts = count[SweepRun::State::kConflict];
  if (conflicts > 0 && conflicts == static_cast<int>(planned)) {
    *runner.err << fmt::format("ratchet: error: every run of the sweep conflicts with a run already in {} (see the "
                               "warnings above); choose another --out or remove those directories\n",
                               opt.out.string());
    return 2;
  }
  return 0;
}

}  // namespace ratchet
