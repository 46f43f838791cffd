// liblatent_torch_cli.so: the CLI's LibTorch commands (see torch_cli.h).
#include "torch_cli.h"

#include "latent/torch_module.h"
#include "attribute_commands.h"
#include "story_commands.h"
#include "torch_commands.h"

namespace {

class TorchCommandSet : public latent::cli::CommandSet {
 public:
  TorchCommandSet(CLI::App& app, CLI::App& train_cmd)
      : torch_(app, train_cmd), story_(app, train_cmd), attributes_(app, train_cmd) {}
  bool run(const std::string& command_line) override {
    return torch_.run(command_line) || story_.run(command_line) || attributes_.run(command_line);
  }

 private:
  latent::cli::TorchCommands torch_;  // train vae|dcgan, import-torchscript, bench, invert
  latent::cli::StoryCommands story_;  // train skipthought, story, style, eval-text
  latent::cli::AttributeCommands attributes_;  // train attributes, attributes, directions
};

}  // namespace

extern "C" latent::cli::CommandSet* latent_torch_cli_commands(CLI::App* app, CLI::App* train_cmd) {
  latent::require_torch_module();  // registers the LibTorch kinds and applies --threads
  return new TorchCommandSet(*app, *train_cmd);
}
