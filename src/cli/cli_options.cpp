#include "cli_options.h"

#include <filesystem>

#include "latent/errors.h"
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

const std::string& shipped_or_given(const std::string& path, const char* shipped, const std::string& what,
                                    const std::string& flag) {
  if (path == shipped && !std::filesystem::exists(path))
    throw UnsupportedError("no " + what + " at " + shipped + " (run from the project folder, or give " + flag + " DIR)");
  return path;
}

}  // namespace latent::cli
