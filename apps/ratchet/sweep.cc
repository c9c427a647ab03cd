// ratchet sweep: a grid of runs, one child process per run. On one machine the runs go to --jobs
// children at a time; under mpirun rank 0 hands them out, one run per rank at a time, to whichever
// rank is free; --shard I/K takes a fixed share of the grid (job arrays).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "experiments.h"
#include "spawn.h"
#include "ratchet/bytes.h"
#include "ratchet/experiment.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// "I/K" -> {I, K}; throws Error unless 0 <= I < K.
std::pair<int, int> ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  int64_t i = -1, k = -1;
  if (slash != std::string::npos) {
    try {
      i = ParseCount(text.substr(0, slash), "--shard", true);
      k = ParseCount(text.substr(slash + 1), "--shard", false);
    } catch (const Error&) {
      i = k = -1;
    }
  }
  if (i < 0 || k < 1 || i >= k || k > 1000000)
    throw Error(fmt::format("--shard expects I/K with 0 <= I < K (shard I of K, e.g. 0/4), got '{}'", text));
  return {static_cast<int>(i), static_cast<int>(k)};
}

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

}  // namespace

int ExperimentCommands::Sweep() {
  Comm& comm = Job();
  // a stop signal reaches the runs (each writes a checkpoint); no new run starts
  InstallStopSignal();
  if (comm.size() > 1 && comm.rank() != 0) {
    // rank 0 plans and reports; its agreement below says whether there is anything to do
    Agree(comm, [] {});
    SweepWorker(comm);
    return 0;
  }
  SweepOptions opt;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::optional<std::pair<int, int>> shard;
  std::vector<SweepRun> plan;
  Agree(comm, [&] {
    opt.algos = ParseNameList(algos_, "--algo");
    opt.envs = ParseNameList(envs_, "--env");
    opt.seeds = ParseSeedList(seeds_);
    if (!steps_.empty()) opt.steps = ParseCount(steps_, "--steps", false);
    if (!jobs_.empty()) {
      if (comm.size() > 1)
        throw Error("--jobs: under mpirun every rank trains one run at a time; start more ranks instead");
      const int64_t j = ParseCount(jobs_, "--jobs", false);
      if (j > 256) throw Error(fmt::format("--jobs must be at most 256, got {}", j));
      jobs = static_cast<int>(j);
    }
    if (comm.size() > 1) jobs = comm.size();
    if (!shard_.empty()) shard = ParseShard(shard_);
    // one thread per run unless asked otherwise: the runs are the parallelism (and results do
    // not depend on the thread count)
    opt.sets = sets_;
    opt.sets.insert(opt.sets.begin(), "threads=1");
    opt.preset_path = preset_;
    opt.out = out_;
    plan = PlanSweep(opt);
    std::error_code ec;
    fs::create_directories(fs::path(out_) / "logs", ec);
    if (ec) throw Error(fmt::format("cannot create '{}': {}", (fs::path(out_) / "logs").string(), ec.message()));
  });

  std::map<SweepRun::State, int> count;
  std::vector<const SweepRun*> queue;
  for (size_t k = 0; k < plan.size(); ++k) {
    if (shard && static_cast<int>(k % shard->second) != shard->first) continue;
    const SweepRun& r = plan[k];
    ++count[r.state];
    if (r.state == SweepRun::State::kConflict)
      std::cerr << fmt::format("ratchet: warning: leaving {} alone: {}\n", r.dir.string(), r.why);
    if (r.state == SweepRun::State::kNew || r.state == SweepRun::State::kResume || r.state == SweepRun::State::kRestart)
      queue.push_back(&r);
  }
  const size_t planned = shard ? queue.size() + count[SweepRun::State::kDone] + count[SweepRun::State::kConflict]
                               : plan.size();
  std::cout << fmt::format("sweep: {} runs{} in {}: {} new, {} to resume, {} to restart, {} finished (skipped), "
                           "{} conflicting; {} at a time{}\n",
                           planned, shard ? fmt::format(" (shard {}/{} of {})", shard->first, shard->second, plan.size()) : "",
                           out_, count[SweepRun::State::kNew], count[SweepRun::State::kResume],
                           count[SweepRun::State::kRestart], count[SweepRun::State::kDone],
                           count[SweepRun::State::kConflict], jobs,
                           comm.size() > 1 ? fmt::format(" (one per MPI rank)") : "")
            << std::flush;

  const std::vector<std::string> self = SelfCommand();
  const fs::path logs = fs::path(out_) / "logs";
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
      if (!preset_.empty()) args.insert(args.end(), {"--config", preset_});
      for (const std::string& s : opt.sets) args.insert(args.end(), {"--set", s});
    }
    std::ofstream(job.log, std::ios::app) << fmt::format("# {}\n", fmt::join(args, " "));
    std::cout << fmt::format("[{}/{}] {} {} {} seed {}\n", k + 1, queue.size(),
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
      std::cout << fmt::format("  done {} in {:.1f} s: final return {:.1f}\n", name, secs, rec.FinalReturn());
    } else if (g_stop_signal != 0) {
      ++interrupted;
      std::cout << fmt::format("  stopped {} (checkpointed; the next sweep resumes it)\n", name);
    } else {
      ++failed;
      std::cout << fmt::format("  FAILED {} (exit {}): {} (log: {})\n", name, code, LastLine(job.log),
                               job.log.string());
    }
    std::cout << std::flush;
  };

  size_t next = 0;
  if (comm.size() == 1) {
    // children of this process, `jobs` at a time
    struct Child {
      RunJob job;
      Clock::time_point start;
    };
    std::map<pid_t, Child> running;
    bool forwarded = false;
    while (next < queue.size() || !running.empty()) {
      while (g_stop_signal == 0 && next < queue.size() && static_cast<int>(running.size()) < jobs) {
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
      report(c.job, ExitCode(status),
             std::chrono::duration<double>(Clock::now() - c.start).count());
    }
  } else {
    // rank 0 hands runs out: to each rank as it reports its last one done, and to a child of
    // its own whenever that one is free
    std::map<uint32_t, RunJob> remote;  // queue index -> job, running on another rank
    int busy_ranks = 0;
    for (int w = 1; w < comm.size(); ++w) {
      if (g_stop_signal == 0 && next < queue.size()) {
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
    while (busy_ranks > 0 || own || (g_stop_signal == 0 && next < queue.size())) {
      bool progressed = false;
      if (!own && g_stop_signal == 0 && next < queue.size()) {
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
        if (g_stop_signal == 0 && next < queue.size()) {
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
          report(*own, ExitCode(status),
                 std::chrono::duration<double>(Clock::now() - own_start).count());
          own.reset();
          progressed = true;
        }
      }
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  std::cout << fmt::format("sweep: {} trained, {} skipped, {} failed, {} interrupted, {} left alone\n", finished,
                           count[SweepRun::State::kDone], failed, interrupted + (queue.size() - next),
                           count[SweepRun::State::kConflict]);
  if (g_stop_signal != 0) return 128 + g_stop_signal;
  if (failed > 0) return 1;
  // every run of the grid conflicts with what its directory holds: nothing could be done
  const int conflicts = count[SweepRun::State::kConflict];
  if (conflicts > 0 && conflicts == static_cast<int>(planned)) {
    std::cerr << fmt::format("ratchet: error: every run of the sweep conflicts with a run already in {} (see the "
                             "warnings above); choose another --out or remove those directories\n", out_);
    return 2;
  }
  return 0;
}

}  // namespace ratchet::cli
