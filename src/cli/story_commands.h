#pragma once
// The CLI's sentence-space commands: train skipthought, story, style, eval-text.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace latent::cli {

class StoryCommands {
 public:
  // Adds story, style and eval-text to `app`, and skipthought under `train_cmd`.
  StoryCommands(CLI::App& app, CLI::App& train_cmd);
  ~StoryCommands();
  // Runs the parsed command if it is one of these; false otherwise.
  bool run(const std::string& command_line);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace latent::cli
