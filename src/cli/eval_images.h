#pragma once
// `latent eval-images MODEL DATA`: how close a model's samples are to real images, as the
// multi-scale sliced Wasserstein distance (latent/image_quality.h), beside the same
// measure between two halves of the data (the floor a perfect model would reach).
namespace CLI {
class App;
}

namespace latent::cli {

// Adds the command; it runs as its callback during parsing (errors: one line, status 1).
void add_eval_images_command(CLI::App& app);

}  // namespace latent::cli
