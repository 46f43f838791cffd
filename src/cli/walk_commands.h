#pragma once
// The `walk` and `grid` commands of the `latent` command line.
namespace CLI {
class App;
}

namespace latent {

// Adds `walk` (animations along keyframes, a session's walk or a random loop, written as
// MP4, GIF or PNG frames) and `grid` (interpolation sheets) to the app. Each runs as its
// subcommand's callback during parsing; an error prints one "latent: error: ..." line and
// exits with status 1 (130 when interrupted).
void add_walk_commands(CLI::App& app);

}  // namespace latent
