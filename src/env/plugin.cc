// Plugins: shared libraries that register environments through one exported entry point.
#include <dlfcn.h>

#include <filesystem>
#include <fmt/format.h>
#include <mutex>

#include "env/registry_internal.h"
#include "ratchet/env.h"

namespace ratchet {

namespace {

std::recursive_mutex g_plugin_mu;
std::vector<std::string>& Loaded() {
  static std::vector<std::string> loaded;
  return loaded;
}

#define RATCHET_STR2(x) #x
#define RATCHET_STR(x) RATCHET_STR2(x)

}  // namespace

void LoadPlugin(const std::string& path) {
  std::error_code ec;
  if (path.empty()) throw Error("plugin path is empty");
  if (!std::filesystem::exists(path, ec))
    throw Error(fmt::format("plugin '{}' does not exist", path));
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(fmt::format("plugin '{}' is not a file", path));
  const std::string abs = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec).string();
  std::lock_guard<std::recursive_mutex> lock(g_plugin_mu);
  for (const std::string& p : Loaded())
    if (p == abs) return;
  void* handle = dlopen(abs.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(fmt::format("cannot load plugin '{}': {}", path, why ? why : "unknown error"));
  }
  using Entry = void (*)();
  dlerror();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, RATCHET_STR(RATCHET_PLUGIN_ENTRY)));
  if (entry == nullptr) {
    dlclose(handle);
    throw Error(fmt::format("'{}' is not a Ratchet plugin: it has no entry point '{}' (define it with "
                            "RATCHET_PLUGIN() from ratchet/env.h)", path, RATCHET_STR(RATCHET_PLUGIN_ENTRY)));
  }
  const size_t mark = internal::RuntimeEnvCount();
  internal::SetLoadingPlugin(abs);
  try {
    entry();
  } catch (const std::exception& e) {
    internal::SetLoadingPlugin("");
    internal::DropRuntimeEnvsFrom(mark);
    // the library stays mapped: code of its own may still be referenced by the exception
    throw Error(fmt::format("plugin '{}' failed to register its environments: {}", path, e.what()));
  } catch (...) {
    internal::SetLoadingPlugin("");
    internal::DropRuntimeEnvsFrom(mark);
    throw Error(fmt::format("plugin '{}' failed to register its environments: it threw something that is not a "
                            "std::exception", path));
  }
  internal::SetLoadingPlugin("");
  Loaded().push_back(abs);  // the handle is kept open for the life of the process
}

std::vector<std::string> LoadedPlugins() {
  std::lock_guard<std::recursive_mutex> lock(g_plugin_mu);
  return Loaded();
}

}  // namespace ratchet
