#pragma once
// The CLI's face-attribute commands: `train attributes` (the classifier), `attributes`
// (label photos with it) and `directions` (named latent directions for a face model,
// latent/directions.h).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace latent::cli {

class AttributeCommands {
 public:
  // Adds attributes and directions to `app`, and attributes under `train_cmd`.
  AttributeCommands(CLI::App& app, CLI::App& train_cmd);
  ~AttributeCommands();
  // Runs the parsed command if it is one of these; false otherwise.
  bool run(const std::string& command_line);

 private:
  bool run_unsupervised();  // latent directions --unsupervised K (SeFa)
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace latent::cli
