// Projection benchmark: latent::project_2d on Fashion-MNIST (train images, pixels / 255).
//
//   * t-SNE and UMAP-style on the first N images (default 10,000), raw 784-D, and on
//     their 64-component PCA encodings (PcaSpace::fit on those N images, encode_rows);
//   * PCA maps of the first M images (default 50,000).
//
// A plain timing program (no Google Benchmark): the data is loaded and the encodings are
// made outside the timed regions; each t-SNE / UMAP run is timed once (wall clock,
// OpenBLAS and our worker threads run inside), the PCA map is timed --pca-reps times after
// one untimed warm-up and the median is reported. Results are printed as key=value lines
// on stdout (and a short log on stderr), and the layouts are written as float32 .npy files
// to --out so that bench/projection_peers.py computes the metrics of ours and of the peers'
// layouts with the same code:
//
//   OUT/pca64_N.npy            the N x 64 encodings (the peers map the same matrix)
//   OUT/ours_tsne_raw.npy      N x 2      OUT/ours_tsne_pca64.npy
//   OUT/ours_umap_raw.npy      N x 2      OUT/ours_umap_pca64.npy
//   OUT/ours.json              times and settings
//
//   bench_projection [--data PATH] [--out DIR] [--n N] [--pca-n M] [--pca-reps R]
//                    [--seed S] [--methods tsne,umap,pca] [--inputs raw,pca64]
//
// PATH defaults to $LATENT_FASHION_MNIST, else Debian's dataset-fashion-mnist file.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "latent/dataset.h"
#include "latent/pca_space.h"
#include "latent/projection.h"

#ifndef LATENT_DEFAULT_FASHION_MNIST
#define LATENT_DEFAULT_FASHION_MNIST "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
#endif

namespace {

using latent::RowMatrixXf;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Writes a row-major float32 matrix as a NumPy .npy (version 1.0) file.
void write_npy(const std::string& path, const RowMatrixXf& m) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(m.rows()) + ", " +
                       std::to_string(m.cols()) + "), }";
  const size_t unpadded = 10 + header.size() + 1;  // magic(6) + version(2) + len(2) + header + '\n'
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot write");
  const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(magic, 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_le, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(sizeof(float) * m.size()));
  if (!out) throw std::runtime_error(path + ": write failed");
}

bool has(const std::string& list, const std::string& item) {
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    if (list.compare(start, end - start, item) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("LATENT_FASHION_MNIST");
  std::string data_path = env && *env ? env : LATENT_DEFAULT_FASHION_MNIST;
  std::string out_dir = "bench-projection-out", methods = "tsne,umap,pca", inputs = "raw,pca64";
  long n = 10000, pca_n = 50000;
  int pca_reps = 5;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_projection: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") data_path = value();
    else if (a == "--out") out_dir = value();
    else if (a == "--n") n = std::atol(value().c_str());
    else if (a == "--pca-n") pca_n = std::atol(value().c_str());
    else if (a == "--pca-reps") pca_reps = std::max(1, std::atoi(value().c_str()));
    else if (a == "--seed") seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--methods") methods = value();
    else if (a == "--inputs") inputs = value();
    else {
      std::fprintf(stderr,
                   "usage: bench_projection [--data PATH] [--out DIR] [--n N] [--pca-n M] [--pca-reps R] "
                   "[--seed S] [--methods tsne,umap,pca] [--inputs raw,pca64]\n");
      return 2;
    }
  }
  try {
    ::mkdir(out_dir.c_str(), 0755);
    latent::DatasetOptions dopt;
    dopt.limit = std::max(n, has(methods, "pca") ? pca_n : 0L);
    auto t0 = Clock::now();
    const latent::ImageDataset ds = latent::load_idx(data_path, dopt);
    std::fprintf(stderr, "bench_projection: %s: %ld x %ld loaded in %.2f s\n", data_path.c_str(), ds.count(),
                 static_cast<long>(ds.data.cols()), seconds_since(t0));
    n = std::min(n, ds.count());
    pca_n = std::min(pca_n, ds.count());
    std::map<std::string, double> times;
    std::printf("n=%ld\nd=%ld\nseed=%llu\n", n, static_cast<long>(ds.data.cols()), static_cast<unsigned long long>(seed));

    std::map<std::string, RowMatrixXf> sets;
    if (has(inputs, "raw")) sets["raw"] = ds.data.topRows(n);
    if (has(inputs, "pca64")) {
      const RowMatrixXf first = ds.data.topRows(n);
      latent::PcaOptions popt;
      popt.components = 64;
      t0 = Clock::now();
      auto pca = latent::PcaSpace::fit(first, ds.shape(), popt);
      sets["pca64"] = pca->encode_rows(first);
      std::fprintf(stderr, "bench_projection: PCA-64 encodings of %ld images in %.2f s (explained %.4f)\n", n,
                   seconds_since(t0), pca->explained_fraction());
      write_npy(out_dir + "/pca64_" + std::to_string(n) + ".npy", sets["pca64"]);
    }

    for (const char* method : {"tsne", "umap"}) {
      if (!has(methods, method)) continue;
      for (const auto& [input, points] : sets) {
        latent::ProjectionOptions o;
        o.method = latent::parse_projection_method(method);
        o.seed = seed;
        std::string last_stage;
        auto stage_t0 = Clock::now();
        t0 = Clock::now();
        o.progress = [&](float, const std::string& stage) {
          if (stage != last_stage) {
            if (!last_stage.empty())
              std::fprintf(stderr, "  %-28s %.2f s\n", last_stage.c_str(), seconds_since(stage_t0));
            last_stage = stage, stage_t0 = Clock::now();
          }
          return true;
        };
        std::fprintf(stderr, "bench_projection: %s on %s (%ld x %ld)\n", method, input.c_str(),
                     static_cast<long>(points.rows()), static_cast<long>(points.cols()));
        const RowMatrixXf y = latent::project_2d(points, o);
        const double s = seconds_since(t0);
        if (!last_stage.empty()) std::fprintf(stderr, "  %-28s %.2f s\n", last_stage.c_str(), seconds_since(stage_t0));
        std::fprintf(stderr, "  total %.2f s\n", s);
        const std::string key = std::string(method) + "_" + input;
        times[key] = s;
        std::printf("%s_s=%.4f\n", key.c_str(), s);
        std::fflush(stdout);
        write_npy(out_dir + "/ours_" + key + ".npy", y);
      }
    }

    if (has(methods, "pca")) {
      const RowMatrixXf big = ds.data.topRows(pca_n);
      latent::ProjectionOptions o;
      o.method = latent::ProjectionMethod::Pca;
      RowMatrixXf y = latent::project_2d(big, o);  // warm-up (BLAS threads, page faults)
      std::vector<double> ts;
      for (int r = 0; r < pca_reps; ++r) {
        t0 = Clock::now();
        y = latent::project_2d(big, o);
        ts.push_back(seconds_since(t0));
      }
      std::sort(ts.begin(), ts.end());
      const double med = ts[ts.size() / 2];
      std::fprintf(stderr, "bench_projection: PCA map of %ld x %ld: median %.3f s (min %.3f, max %.3f, %d runs)\n",
                   static_cast<long>(big.rows()), static_cast<long>(big.cols()), med, ts.front(), ts.back(), pca_reps);
      times["pca_" + std::to_string(pca_n)] = med;
      std::printf("pca_n=%ld\npca_s=%.4f\npca_min_s=%.4f\npca_max_s=%.4f\n", pca_n, med, ts.front(), ts.back());
    }

    std::ofstream js(out_dir + "/ours.json");
    js << "{\"n\": " << n << ", \"pca_n\": " << pca_n << ", \"seed\": " << seed << ", \"times_s\": {";
    bool first = true;
    for (const auto& [k, v] : times) {
      js << (first ? "" : ", ") << "\"" << k << "\": " << v;
      first = false;
    }
    js << "}}\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_projection: %s\n", e.what());
    return 1;
  }
  return 0;
}
