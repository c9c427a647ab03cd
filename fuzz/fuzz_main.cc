// One libFuzzer binary per target: RATCHET_FUZZ_TARGET names the function (see targets.h).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ratchet::fuzz::RATCHET_FUZZ_TARGET(data, size);
}
