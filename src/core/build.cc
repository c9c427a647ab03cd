// What the process runs with, beside what the build recorded (build_info.cc, generated).
#include <string>

#include "ratchet/core.h"
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

namespace ratchet {

std::string RuntimeLibc() {
#if defined(__GLIBC__)
  return std::string("glibc ") + gnu_get_libc_version();
#else
  return "not glibc";
#endif
}

}  // namespace ratchet
