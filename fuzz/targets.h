// Fuzz targets for Ratchet's file loaders. Each takes arbitrary bytes, makes the file the loader
// reads (re-framing it with a valid magic, version and checksum where the format has one, so that
// the parser itself is exercised and not just the checksum), and loads it. A loader may refuse the
// input with an Error; anything else (a crash, a hang, a sanitizer report, another exception)
// is a finding. Built with libFuzzer by scripts/fuzz.sh; the corpora and every reproducer also
// run in the normal test suite (tests/fuzz/fuzz_regression_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ratchet::fuzz {

int FuzzPolicyFile(const uint8_t* data, size_t size);   // .rpol (DeployedPolicy::Load, Act)
int FuzzCheckpoint(const uint8_t* data, size_t size);   // checkpoints (LoadCheckpoint + counters)
int FuzzPresetYaml(const uint8_t* data, size_t size);   // presets and run configs (YAML)
// These need the whole library (instrumented and built by scripts/fuzz.sh only when one of them is asked for).
int FuzzModelFile(const uint8_t* data, size_t size);    // model.bin (LoadTrainedModel, Actor)
int FuzzRunConfig(const uint8_t* data, size_t size);    // config.yaml (RunConfigFromYaml)
int FuzzRunLogs(const uint8_t* data, size_t size);      // progress.csv and eval.json (ReadRun)
int FuzzTrainerPayload(const uint8_t* data, size_t size);  // a checkpoint's payload (ReadTrainerPayload)
// What FuzzTrainerPayload restores: "" when the payload loaded and its policy acted, else the refusal.
std::string TrainerPayloadError(const uint8_t* data, size_t size);
int FuzzSearchSpace(const uint8_t* data, size_t size);  // tune search spaces (ParseSearchSpace, samplers)
int FuzzTuneTrials(const uint8_t* data, size_t size);   // a tune session's trials.yaml (ParseTrials, TPE)

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};
// The light targets (no whole library), and all of them.
const std::vector<Target>& Targets();
const std::vector<Target>& AllTargets();
// Removes this process's scratch files.
void CleanUp();

}  // namespace ratchet::fuzz
