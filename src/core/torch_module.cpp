// Opening latent_torch on first use (see latent/torch_module.h).
#include "latent/torch_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "latent/errors.h"

namespace fs = std::filesystem;

#ifndef LATENT_TORCH_LIBRARY_PATH
#define LATENT_TORCH_LIBRARY_PATH ""
#endif

namespace latent {

namespace {

struct ModuleState {
  std::mutex mutex;
  TorchHooks hooks;
  bool loaded = false;
  int threads = 1;
};

ModuleState& state() {
  static ModuleState* s = new ModuleState();  // never destroyed: usable until exit
  return *s;
}

std::string program_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  return fs::path(buf).parent_path().string();
}

using RegisterFn = void (*)();

}  // namespace

void* open_project_library(const std::string& file, const char* env_var, const char* built_at, std::string& why) {
  std::vector<std::string> places;
  if (const char* e = env_var ? std::getenv(env_var) : nullptr; e && *e) places.push_back(e);
  if (const std::string d = program_dir(); !d.empty()) places.push_back((fs::path(d) / file).string());
  if (built_at && *built_at) places.push_back(built_at);
  why.clear();
  for (const auto& p : places) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      why += (why.empty() ? "" : "; ") + p + ": not there";
      continue;
    }
    if (void* h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_GLOBAL)) return h;
    const char* err = ::dlerror();
    why += (why.empty() ? "" : "; ") + std::string(err ? err : p + ": cannot be opened");
  }
  if (void* h = ::dlopen(file.c_str(), RTLD_NOW | RTLD_GLOBAL)) return h;
  const char* err = ::dlerror();
  why += (why.empty() ? "" : "; ") + std::string(err ? err : file + ": not on the loader's path");
  return nullptr;
}

void set_torch_hooks(TorchHooks hooks) {
  auto& s = state();
  std::function<void(int)> apply;
  int threads = 1;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.hooks = std::move(hooks);
    s.loaded = true;
    apply = s.hooks.configure_threads;
    threads = s.threads;
  }
  if (apply) apply(threads);
}

bool torch_module_loaded() {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.loaded;
}

void require_torch_module() {
  if (torch_module_loaded()) return;
  static std::mutex open_mutex;  // one opener at a time; the loser finds it loaded
  std::lock_guard<std::mutex> lock(open_mutex);
  if (torch_module_loaded()) return;
  // Linked into this program already (the studio, the LibTorch tests)?
  auto fn = reinterpret_cast<RegisterFn>(::dlsym(RTLD_DEFAULT, "latent_torch_register"));
  if (!fn) {
    std::string why;
    void* h = open_project_library("liblatent_torch.so", "LATENT_TORCH_LIBRARY", LATENT_TORCH_LIBRARY_PATH, why);
    if (!h)
      throw UnsupportedError("this needs LibTorch, which comes in liblatent_torch.so, and it could not be opened (" +
                             why + "); build the project with LibTorch, or set LATENT_TORCH_LIBRARY to the library");
    fn = reinterpret_cast<RegisterFn>(::dlsym(h, "latent_torch_register"));
    if (!fn)
      throw UnsupportedError("liblatent_torch.so was opened but has no latent_torch_register: it is not this "
                             "project's LibTorch library, or it is from another version");
  }
  fn();
  if (!torch_module_loaded())
    throw UnsupportedError("liblatent_torch.so did not register itself (a library from another version?)");
}

const std::vector<std::string>& torch_kinds() {
  static const std::vector<std::string> kinds = {"skipthought", "torch-image"};
  return kinds;
}

void check_device_name(const std::string& device) {
  // The names resolve_device (latent_torch) takes.
  const bool known = device == "cpu" || device == "auto" || device == "cuda" || device.rfind("cuda:", 0) == 0;
  if (!known) throw UnsupportedError("unknown device \"" + device + "\" (use cpu, cuda or auto)");
}

void configure_torch_threads(int intra_op_threads) {
  auto& s = state();
  std::function<void(int)> apply;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.threads = std::max(1, intra_op_threads);
    if (s.loaded) apply = s.hooks.configure_threads;
  }
  if (apply) apply(intra_op_threads);
}

namespace {

TorchHooks loaded_hooks() {
  require_torch_module();
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.hooks;
}

}  // namespace

DeviceChoice resolve_torch_device(const std::string& requested) {
  const auto h = loaded_hooks();
  if (!h.resolve_device) throw UnsupportedError("liblatent_torch.so gave no device resolver");
  return h.resolve_device(requested);
}

nlohmann::json check_caption_model(const std::string& path) {
  const auto h = loaded_hooks();
  if (!h.check_caption_model) throw UnsupportedError("liblatent_torch.so gave no caption-model check");
  return h.check_caption_model(path);
}

nlohmann::json probe_torchscript_json(const std::string& file) {
  const auto h = loaded_hooks();
  if (!h.probe_torchscript) throw UnsupportedError("liblatent_torch.so gave no TorchScript probe");
  return h.probe_torchscript(file);
}

nlohmann::json probe_torchscript_encoder_json(const std::string& file, const std::string& shape) {
  const auto h = loaded_hooks();
  if (!h.probe_encoder) throw UnsupportedError("liblatent_torch.so gave no TorchScript encoder probe");
  return h.probe_encoder(file, shape);
}

int torch_threads() {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.threads;
}

}  // namespace latent
