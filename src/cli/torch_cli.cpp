// liblatent_torch_cli.so: the CLI's LibTorch commands (see torch_cli.h).
#include "torch_cli.h"

#include "latent/torch_module.h"
#include "attribute_commands.h"
#include "face_text_commands.h"
#include "cli_options.h"
#include "story_commands.h"
#include "torch_commands.h"

namespace {

class TorchCommandSet : public latent::cli::CommandSet {
 public:
  TorchCommandSet(CLI::App& app, CLI::App& train_cmd)
      : app_(app), torch_(app, train_cmd), story_(app, train_cmd), attributes_(app, train_cmd), face_text_(app, train_cmd) {}
  bool run(const std::string& command_line) override {
    // This module's copy of the options every command takes (cli_options.h).
    if (const CLI::Option* device = app_.get_option_no_throw("--device"); device && device->count() > 0)
      latent::cli::set_device(device->as<std::string>());
    return torch_.run(command_line) || story_.run(command_line) || attributes_.run(command_line) ||
           face_text_.run(command_line);
  }

 private:
  CLI::App& app_;
  latent::cli::TorchCommands torch_;  // train vae|dcgan, import-torchscript, bench, invert
  latent::cli::StoryCommands story_;  // train skipthought, story, style, eval-text
  latent::cli::AttributeCommands attributes_;  // train attributes, attributes, directions
  latent::cli::FaceTextCommands face_text_;    // train vse, vse-map, text2img, caption
};

}  // namespace

extern "C" latent::cli::CommandSet* latent_torch_cli_commands(CLI::App* app, CLI::App* train_cmd) {
  latent::require_torch_module();  // registers the LibTorch kinds and applies --threads
  return new TorchCommandSet(*app, *train_cmd);
}
