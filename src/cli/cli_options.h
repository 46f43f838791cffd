#pragma once
// The options every CLI command takes (--device, before or after the command's name),
// as the models it opens need them. `latent` sets them from its command line; the
// LibTorch commands' module (torch_cli.h) holds its own copy and sets it from the same
// parsed options before it runs a command.
#include <string>

#include "latent/registry.h"

namespace latent::cli {

// How this run opens models (the parsed --device).
const OpenOptions& open_options();
// Checks the device name (UnsupportedError) and keeps it for open_options().
void set_device(const std::string& device);

// open_space(path, open_options()).
std::unique_ptr<Space> open_model(const std::string& path);

// `path`, unless it is the package the project ships (`shipped`, a path relative to the
// project folder) and is not here: then UnsupportedError "no WHAT at SHIPPED (run from the
// project folder, or give FLAG DIR)".
const std::string& shipped_or_given(const std::string& path, const char* shipped, const std::string& what,
                                    const std::string& flag);

}  // namespace latent::cli
