// Internal: what LoadPlugin needs of the registry. The registrations a plugin's entry point makes
// carry its path; on failure the ones made since `mark` are removed again.
#pragma once

#include <cstddef>
#include <string>

namespace ratchet::internal {

size_t RuntimeEnvCount();
void SetLoadingPlugin(const std::string& path);
void DropRuntimeEnvsFrom(size_t mark);

}  // namespace ratchet::internal
