// Opening liblatent_torch_cli.so from `latent` (see torch_cli.h).
#include "torch_cli.h"

#include <dlfcn.h>

#include <cstring>

#include "latent/errors.h"
#include "latent/torch_module.h"

#ifndef LATENT_TORCH_CLI_PATH
#define LATENT_TORCH_CLI_PATH ""
#endif

namespace latent::cli {

const std::vector<std::string>& torch_command_names() {
  static const std::vector<std::string> names = {
      // under train
      "vae", "dcgan", "encoder", "skipthought", "attributes", "vse",
      // top level
      "import-torchscript", "bench", "invert", "story", "style", "bench-text", "sentences", "eval-text",
      "directions", "vse-map", "text2img", "caption"};
  return names;
}

bool asks_for_help(int argc, char** argv) {
  if (argc <= 1) return true;  // the usage lists every command
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help-all")) return true;
  return false;
}

bool wants_torch_commands(int argc, char** argv) {
  if (asks_for_help(argc, argv)) return true;
  const auto& names = torch_command_names();
  for (int i = 1; i < argc; ++i)
    for (const auto& n : names)
      if (n == argv[i]) return true;  // a value that happens to be such a name only costs the load
  return false;
}

std::unique_ptr<CommandSet> load_torch_commands(CLI::App& app, CLI::App& train_cmd) {
  std::string why;
  void* h = open_project_library("liblatent_torch_cli.so", "LATENT_TORCH_CLI_LIBRARY", LATENT_TORCH_CLI_PATH, why);
  if (!h)
    throw UnsupportedError("the LibTorch commands come in liblatent_torch_cli.so, which could not be opened (" + why +
                           ")");
  using Factory = CommandSet* (*)(CLI::App*, CLI::App*);
  auto make = reinterpret_cast<Factory>(::dlsym(h, "latent_torch_cli_commands"));
  if (!make) throw UnsupportedError("liblatent_torch_cli.so has no latent_torch_cli_commands (another version?)");
  return std::unique_ptr<CommandSet>(make(&app, &train_cmd));
}

}  // namespace latent::cli
