// The DCGAN recipe's parts (src/core/torch_nets.h): DiffAugment, the moving average of
// the generator, spectral normalisation, standing batch-norm statistics and the step
// that shows augmented images to the discriminator on both sides.
#include <gtest/gtest.h>

#include "latent/errors.h"
#include "torch_nets.h"

using namespace latent;

TEST(TorchNets, AugmentationsChangeImagesAndLetGradientsThrough) {
  torch::manual_seed(1);
  const auto x = torch::rand({8, 3, 32, 32}) * 2 - 1;
  for (const std::string p : {"color", "translation", "cutout"}) {
    auto in = x.clone().requires_grad_(true);
    const auto y = nets::diff_augment(in, p);
    EXPECT_EQ(y.sizes(), x.sizes()) << p;
    EXPECT_GT((y - x).abs().max().item<float>(), 0.05f) << p;
    y.sum().backward();
    ASSERT_TRUE(in.grad().defined()) << p;
    EXPECT_GT(in.grad().abs().sum().item<float>(), 0.f) << p;
  }
  // Cutout zeroes a square of half the side (clipped at the border): at most a quarter.
  const auto ones = torch::ones({16, 1, 32, 32});
  const auto cut = nets::diff_augment(ones, "cutout");
  const auto zero_fraction = (cut == 0).to(torch::kFloat).mean({1, 2, 3});
  EXPECT_LE(zero_fraction.max().item<float>(), 0.25f + 1e-6f);
  EXPECT_GT(zero_fraction.min().item<float>(), 0.05f);
  EXPECT_NO_THROW(nets::check_augment_policy("color, translation,cutout"));
  try {
    nets::check_augment_policy("color,flip");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown transform 'flip' (color, translation, cutout)"), std::string::npos);
  }
}

TEST(TorchNets, TheMovingAverageFollowsTheFormulaAndCopiesBuffers) {
  nets::Arch a{"dcgan-generator", 32, 3, 8, 4};
  torch::manual_seed(2);
  nets::DcganGenerator g(a), avg(a);
  nets::ema_update(*avg, *g, 0.0);  // a copy
  for (size_t i = 0; i < g->parameters().size(); ++i) EXPECT_TRUE(torch::equal(g->parameters()[i], avg->parameters()[i]));
  const auto before = avg->parameters()[0].clone();
  {
    torch::NoGradGuard ng;
    g->parameters()[0].add_(1.0);
    g->buffers()[0].fill_(0.5);
  }
  nets::ema_update(*avg, *g, 0.9);
  EXPECT_TRUE(torch::allclose(avg->parameters()[0], 0.9 * before + 0.1 * g->parameters()[0]));
  EXPECT_TRUE(torch::equal(avg->buffers()[0], g->buffers()[0]));
  // Standing statistics: recomputed from the average's own activations, deterministic per seed.
  torch::manual_seed(3);
  nets::recompute_batch_norm(*avg, 8, 4, 16, torch::kCPU);
  const auto stats = avg->buffers()[0].clone();
  EXPECT_FALSE(torch::equal(stats, g->buffers()[0]));
  torch::manual_seed(3);
  nets::recompute_batch_norm(*avg, 8, 4, 16, torch::kCPU);
  EXPECT_TRUE(torch::equal(stats, avg->buffers()[0]));
  EXPECT_FALSE(avg->is_training());
}

TEST(TorchNets, SpectralNormKeepsTheLargestSingularValueNearOne) {
  torch::manual_seed(4);
  nets::SNConv2d conv(3, 16, 4, 2, 1);
  {
    torch::NoGradGuard ng;
    conv->weight.mul_(25.0);
  }
  conv->train();
  const auto x = torch::randn({2, 3, 16, 16});
  for (int i = 0; i < 30; ++i) conv->forward(x);  // power iterations
  const auto w = conv->weight.view({16, -1});
  const double true_sigma = std::get<1>(torch::linalg_svd(w, false)).max().item<double>();
  EXPECT_NEAR(conv->sigma() / true_sigma, 1.0, 1e-3);
  // The normalised weight's largest singular value is one.
  const double normalised = std::get<1>(torch::linalg_svd(w / conv->sigma(), false)).max().item<double>();
  EXPECT_NEAR(normalised, 1.0, 1e-3);
  nets::Arch d{"dcgan-discriminator", 32, 3, 8, 4};
  nets::DcganDiscriminator disc(d, true);
  int batch_norms = 0;
  for (auto& m : disc->modules(false)) batch_norms += dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()) != nullptr;
  EXPECT_EQ(batch_norms, 0);
  EXPECT_EQ(disc->forward(torch::randn({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2}));
  // Two passes (real, then fake) before one backward, as in a discriminator step.
  const auto loss = disc->forward(torch::randn({2, 3, 32, 32})).sum() + disc->forward(torch::randn({2, 3, 32, 32})).sum();
  EXPECT_NO_THROW(loss.backward());
}

TEST(TorchNets, TheDiscriminatorSeesAugmentedRealAndFakeImages) {
  nets::Arch a{"dcgan-generator", 32, 1, 8, 4};
  torch::manual_seed(5);
  nets::DcganGenerator g(a);
  nets::DcganDiscriminator d(nets::Arch{"dcgan-discriminator", 32, 1, 8, 4}, /*spectral_norm=*/true);
  torch::optim::Adam og(g->parameters(), torch::optim::AdamOptions(1e-3)),
      od(d->parameters(), torch::optim::AdamOptions(1e-3));
  // Real images are all ones, and tanh never gives exactly 0: a zero pixel is cutout's.
  const auto real = torch::ones({4, 1, 32, 32});
  std::vector<torch::Tensor> seen;
  auto disc = [&](const torch::Tensor& x) {
    seen.push_back(x.detach().clone());
    return d->forward(x);
  };
  nets::gan_step(g, disc, og, od, real, 8, "cutout");
  ASSERT_EQ(seen.size(), 3u);  // real, fake (discriminator step), fake (generator step)
  for (const auto& x : seen) {
    const auto zero_fraction = (x == 0).to(torch::kFloat).mean({1, 2, 3});
    EXPECT_GT(zero_fraction.min().item<float>(), 0.05f);
  }
  seen.clear();
  nets::gan_step(g, disc, og, od, real, 8, "");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_TRUE(torch::equal(seen[0], real));  // without a policy, the real images as they are
}
