#pragma once
// The CLI's face-and-words commands (latent/face_text.h): `train vse` (the shared space),
// `vse-map` (a map from it to a face model), `text2img` (a description -> faces) and
// `caption` (a face -> the nearest descriptions).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace latent::cli {

class FaceTextCommands {
 public:
  FaceTextCommands(CLI::App& app, CLI::App& train_cmd);
  ~FaceTextCommands();
  // Runs the parsed command if it is one of these; false otherwise.
  bool run(const std::string& command_line);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace latent::cli
