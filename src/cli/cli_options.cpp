#include "cli_options.h"

#include "latent/torch_module.h"

namespace latent::cli {

namespace {

OpenOptions& options() {
  static OpenOptions o;
  return o;
}

}  // namespace

const OpenOptions& open_options() { return options(); }

void set_device(const std::string& device) {
  check_device_name(device);
  options().device = device;
}

std::unique_ptr<Space> open_model(const std::string& path) { return open_space(path, options()); }

}  // namespace latent::cli
