#include "ratchet/core.h"

#include <fmt/format.h>

namespace ratchet {

void FailCheck(const char* file, int line, const char* cond, const std::string& msg) {
  throw InternalError(fmt::format("internal error at {}:{}: check '{}' failed: {}", file, line,
                                  cond, msg));
}

}  // namespace ratchet
