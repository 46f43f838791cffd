// latent_torch's entry point: what the core calls when it opens this library (see
// latent/torch_module.h). It registers the LibTorch kinds and hands over the hooks.
#include <algorithm>
#include <chrono>
#include <mutex>

#include <torch/torch.h>

#include "latent/caption_model.h"
#include "latent/image.h"
#include "latent/registry.h"
#include "latent/storyteller.h"
#include "latent/torch_module.h"
#include "latent/torch_space.h"

namespace latent {

namespace {

void apply_threads(int intra_op_threads) {
  static std::once_flag interop_once;
  std::call_once(interop_once, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (...) {
      // Already started by an earlier parallel region: leave it.
    }
  });
  at::set_num_threads(std::max(1, intra_op_threads));
}

}  // namespace

extern "C" void latent_torch_register() {
  register_kind("torch-image", [](const std::string& dir, const nlohmann::json& header,
                                  const OpenOptions& options) -> std::unique_ptr<Space> {
    TorchImageSpaceOptions o;
    o.device = options.device;
    return TorchImageSpace::load(dir, header, o);
  });
  register_kind("skipthought", [](const std::string& dir, const nlohmann::json& header,
                                  const OpenOptions& options) -> std::unique_ptr<Space> {
    StorytellerOptions o;
    o.device = options.device;
    return StorytellerSpace::load(dir, header, o);
  });
  TorchHooks hooks;
  hooks.configure_threads = apply_threads;
  hooks.resolve_device = resolve_device;
  hooks.check_caption_model = [](const std::string& path) {
    auto m = CaptionModel::open(path);
    const auto t = std::chrono::steady_clock::now();
    (void)m->retrieve(Image(64, 64, 3, 0.5f), 1);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    return nlohmann::json{{"name", m->name()}, {"forward_ms", ms}};
  };
  hooks.probe_torchscript = [](const std::string& file) { return probe_torchscript(file).to_json(); };
  hooks.probe_encoder = [](const std::string& file, const std::string& shape) {
    return probe_torchscript_encoder(file, shape);
  };
  set_torch_hooks(std::move(hooks));
}

}  // namespace latent
