// PCA-fit benchmark: PcaSpace::fit on Fashion-MNIST train (60000 x 784, pixels / 255,
// float32) -> 64 components. The data is loaded once, outside the timed region; each
// repetition is one fit (wall-clock time, since OpenBLAS runs its own threads).
//
//   bench_pca_fit [--pca_data=PATH] [--pca_components=K] [Google Benchmark flags]
//
// PATH defaults to $LATENT_FASHION_MNIST, else the Debian dataset-fashion-mnist file.
// Without --benchmark_repetitions it runs 7 repetitions (after one untimed warm-up fit)
// and reports mean/median/stddev. For a machine-readable result use
// --benchmark_format=json (bench/run_pca_bench.sh does): the "median" aggregate's
// real_time is the median fit time, and the counters carry the explained-variance
// fraction the fit reports and the variance actually captured by its components.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "latent/dataset.h"
#include "latent/pca_space.h"

namespace {

std::string g_data_path;
int g_components = 64;
latent::ImageDataset g_data;
double g_captured = 0.0;  // variance captured by the fitted components / total (double)

// Share of the total variance that the components of `pca` capture, computed in double
// from the data (independent of the eigenvalues the fit reports).
double captured_fraction(const latent::PcaSpace& pca, const latent::RowMatrixXf& data) {
  const Eigen::MatrixXd c = pca.components().cast<double>();  // K x D
  const Eigen::RowVectorXd mean = pca.mean().cast<double>().transpose();
  double captured = 0.0, total = 0.0;
  const long block = 4096;
  for (long r = 0; r < data.rows(); r += block) {
    const long m = std::min(block, data.rows() - r);
    Eigen::MatrixXd x = data.middleRows(r, m).cast<double>();
    x.rowwise() -= mean;
    total += x.squaredNorm();
    captured += (x * c.transpose()).squaredNorm();
  }
  return total > 0 ? captured / total : 0.0;
}

void BM_PcaFit(benchmark::State& state) {
  latent::PcaOptions options;
  options.components = g_components;
  double fraction = 0.0;
  for (auto _ : state) {
    auto pca = latent::PcaSpace::fit(g_data.data, g_data.shape(), options);
    fraction = pca->explained_fraction();
    benchmark::DoNotOptimize(pca->components().data());
    benchmark::ClobberMemory();
  }
  state.counters["explained_fraction"] = fraction;
  state.counters["captured_fraction"] = g_captured;
  state.counters["n"] = static_cast<double>(g_data.data.rows());
  state.counters["d"] = static_cast<double>(g_data.data.cols());
  state.counters["components"] = g_components;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("LATENT_FASHION_MNIST");
  g_data_path = env && *env ? env : LATENT_DEFAULT_FASHION_MNIST;

  // Our own flags first; the rest goes to Google Benchmark.
  std::vector<char*> args;
  bool has_repetitions = false;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--pca_data=", 11) == 0) {
      g_data_path = argv[i] + 11;
    } else if (std::strncmp(argv[i], "--pca_components=", 17) == 0) {
      g_components = std::atoi(argv[i] + 17);
    } else {
      if (std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0) has_repetitions = true;
      args.push_back(argv[i]);
    }
  }
  std::string default_reps = "--benchmark_repetitions=7";
  if (!has_repetitions) args.push_back(default_reps.data());
  int bench_argc = static_cast<int>(args.size());
  args.push_back(nullptr);

  benchmark::Initialize(&bench_argc, args.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, args.data())) return 1;

  try {
    g_data = latent::load_idx(g_data_path);
    // One untimed warm-up fit (OpenBLAS thread start-up, page faults), which also
    // gives the components for the captured-variance check.
    latent::PcaOptions options;
    options.components = g_components;
    auto pca = latent::PcaSpace::fit(g_data.data, g_data.shape(), options);
    g_captured = captured_fraction(*pca, g_data.data);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pca_fit: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "bench_pca_fit: %s: %ld x %ld, %d components\n", g_data_path.c_str(),
               static_cast<long>(g_data.data.rows()), static_cast<long>(g_data.data.cols()), g_components);

  benchmark::RegisterBenchmark("BM_PcaFit/fashion_mnist_train", BM_PcaFit)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
