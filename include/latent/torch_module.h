#pragma once
// LibTorch lives in its own shared library, latent_torch (liblatent_torch.so), which the
// core opens the first time something needs it: a model of a LibTorch kind, a caption
// model, a CUDA device request, a CLI command that trains or tells stories. A program
// that only touches PCA models, datasets and word vectors never loads LibTorch, whose
// start-up alone costs about 1.5 s on the 2-core VM (docs/benchmarks.md, "whole wait").
//
// The library registers its kinds with the registry (registry.h) and hands the core the
// few functions below that need LibTorch. It is looked for, in order, at
// $LATENT_TORCH_LIBRARY, beside the running program, where this build put it, and on the
// loader's path. A program linked against latent_torch (the studio, the LibTorch tests)
// finds it already in the process.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latent {

// What a device request ("cpu", "cuda", "cuda:1", "auto") resolved to.
struct DeviceChoice {
  std::string requested;
  std::string used;  // "cpu" or "cuda"
  std::string note;  // non-empty when the request could not be honoured
};

// What latent_torch hands the core when it is opened (its latent_torch_register fills it).
struct TorchHooks {
  std::function<void(int intra_op_threads)> configure_threads;
  std::function<DeviceChoice(const std::string& requested)> resolve_device;
  // Opens a caption model and runs one retrieval (what `check-model --child` does to one).
  std::function<nlohmann::json(const std::string& path)> check_caption_model;
  // Probes a bare TorchScript generator (probe_torchscript of torch_space.h), as JSON.
  std::function<nlohmann::json(const std::string& file)> probe_torchscript;
  // Checks a bare TorchScript file as an encoder for "C,H,W,D,LO,HI" (probe_torchscript_encoder).
  std::function<nlohmann::json(const std::string& file, const std::string& shape)> probe_encoder;
};
void set_torch_hooks(TorchHooks hooks);

// Opens latent_torch unless it is open already. Throws UnsupportedError naming the
// places it looked and the loader's reason when it cannot be opened.
void require_torch_module();
bool torch_module_loaded();
// The model kinds latent_torch registers (known without opening it).
const std::vector<std::string>& torch_kinds();

// Opens another of the project's shared libraries (`file`, e.g. "liblatent_torch_cli.so")
// the same way: $<env_var>, beside the program, the build's path (`built_at`), then the
// loader's path. Returns the dlopen handle; on failure nullptr and `why` says where it looked.
void* open_project_library(const std::string& file, const char* env_var, const char* built_at, std::string& why);

// These work whether or not latent_torch is open. A device name (cpu, cuda, cuda:N or
// auto) is checked here: UnsupportedError for any other.
void check_device_name(const std::string& device);
// LibTorch intra-op threads: remembered, and applied now if latent_torch is open, else
// when it opens.
void configure_torch_threads(int intra_op_threads);
int torch_threads();

// Through latent_torch (opened if need be): resolve_device of torch_space.h, and the
// caption-model check that `check-model --child` runs.
DeviceChoice resolve_torch_device(const std::string& requested);
nlohmann::json check_caption_model(const std::string& path);
nlohmann::json probe_torchscript_json(const std::string& file);
nlohmann::json probe_torchscript_encoder_json(const std::string& file, const std::string& shape);

}  // namespace latent
