#pragma once
// The CLI's neural-image commands (train vae|dcgan|encoder, import-torchscript, bench, invert),
// kept apart from main.cpp so that LibTorch-specific options live in one place.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "latent/torch_train.h"

namespace latent::cli {

// A trainer's progress as lines on stderr: each step's losses, images/s and ETA, and at an
// epoch's end the same followed by "| WRITTEN" (what the epoch wrote, e.g. "checkpoint written").
TrainProgressFn stderr_train_progress(const std::string& written);

class TorchCommands {
 public:
  // Adds the commands to `app`, and `vae` and `dcgan` under `train_cmd`.
  TorchCommands(CLI::App& app, CLI::App& train_cmd);
  ~TorchCommands();
  // Runs the parsed command if it is one of these; false otherwise.
  bool run(const std::string& command_line);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace latent::cli
