#pragma once
// The CLI's LibTorch commands live in a module of their own, liblatent_torch_cli.so,
// which `latent` opens only when the command line names one of them (or asks for help),
// so that `latent fit-pca`, `latent neighbors` and the other commands that never touch
// LibTorch do not wait for it to load (about 1.5 s on the 2-core VM).
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace latent::cli {

// A set of commands added to the app; run() runs the parsed one if it is one of them.
class CommandSet {
 public:
  virtual ~CommandSet() = default;
  virtual bool run(const std::string& command_line) = 0;
};

// The names of the module's commands and subcommands of `train` (kept in step with it:
// test_cli checks that every one of them appears in `latent --help` / `latent train --help`).
const std::vector<std::string>& torch_command_names();

// Whether argv asks for help (--help, -h, --help-all) or names no command (the usage).
bool asks_for_help(int argc, char** argv);

// Whether argv names one of them, or asks for help (which lists every command).
bool wants_torch_commands(int argc, char** argv);

// Opens the module and adds its commands to `app` (and `vae`, `dcgan`, `skipthought`
// under `train_cmd`). Throws UnsupportedError saying where it looked when it cannot.
std::unique_ptr<CommandSet> load_torch_commands(CLI::App& app, CLI::App& train_cmd);

}  // namespace latent::cli

// The module's entry point.
extern "C" latent::cli::CommandSet* latent_torch_cli_commands(CLI::App* app, CLI::App* train_cmd);
