// latent: the command line. Everything the studio does to a model, it does here too.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>

#include "latent/analysis.h"
#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/pca_space.h"
#include "latent/model_package.h"
#include "latent/memory_reserve.h"
#include "latent/model_sandbox.h"
#include "latent/registry.h"
#include "latent/word2vec_train.h"
#include "latent/word_vectors.h"
#include "latent/approx_index.h"
#include "latent/expression.h"
#include "latent/labels.h"
#include "latent/projection.h"
#include "latent/session.h"
#include "latent/torch_module.h"
#include "cli_options.h"
#include "expression_env.h"
#include "progress.h"
#include "torch_cli.h"
#include "walk_commands.h"
#include "eval_images.h"

namespace fs = std::filesystem;
using namespace latent;
using latent::cli::stderr_progress;

namespace {

std::string command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i == 0) a = fs::path(a).filename().string();
    if (a.find_first_of(" \t'\"") != std::string::npos) a = "'" + a + "'";
    out += (i ? " " : "") + a;
  }
  return out;
}

// An image argument: an image file, or DATASET with --index.
Image read_input_image(const std::string& path, long index, const Space& space) {
  const auto& s = space.info().observation;
  if (fs::is_regular_file(path) && index < 0) {
    const std::string ext = fs::path(path).extension().string();
    if (ext != ".json" && ext != ".gz" && ext.find("ubyte") == std::string::npos)
      return convert_image(load_image(path), s.width, s.height, s.channels);
  }
  if (index < 0) throw UnsupportedError(path + " is a dataset: say which item with --index N");
  DatasetOptions opt;
  opt.limit = index + 1;
  const ImageDataset ds = load_dataset_for(space, path, opt);
  if (index >= ds.count())
    throw UnsupportedError(path + " has " + std::to_string(ds.count()) + " items, no item " + std::to_string(index));
  return ds.image(index);
}

// A scatter plot of a 2-D map, coloured by a label column (categories get a palette).
// With `kept` (one per point), the points a filter drops are drawn faint, beneath the rest,
// as the studio's map shows them.
Image plot_map(const RowMatrixXf& y, const std::vector<std::string>& categories, int size,
               const std::vector<char>& kept = {}) {
  Image img(size, size, 3, 1.f);
  const float minx = y.col(0).minCoeff(), maxx = y.col(0).maxCoeff(), miny = y.col(1).minCoeff(), maxy = y.col(1).maxCoeff();
  const float span = std::max({maxx - minx, maxy - miny, 1e-12f});
  static const float palette[][3] = {{0.12f, 0.47f, 0.71f}, {1.f, 0.5f, 0.05f}, {0.17f, 0.63f, 0.17f}, {0.84f, 0.15f, 0.16f},
                                     {0.58f, 0.4f, 0.74f},  {0.55f, 0.34f, 0.29f}, {0.89f, 0.47f, 0.76f}, {0.5f, 0.5f, 0.5f},
                                     {0.74f, 0.74f, 0.13f}, {0.09f, 0.75f, 0.81f}};
  std::vector<std::string> seen;
  const int margin = size / 20, r = std::max(2, size / 250);
  static const float faint[3] = {0.86f, 0.86f, 0.86f};
  for (int pass = kept.empty() ? 1 : 0; pass < 2; ++pass)  // the dropped points first, then the kept
  for (long i = 0; i < y.rows(); ++i) {
    const bool dropped = !kept.empty() && !kept[static_cast<size_t>(i)];
    if (dropped != (pass == 0)) continue;
    size_t c = 0;
    if (!categories.empty()) {
      auto it = std::find(seen.begin(), seen.end(), categories[i]);
      c = static_cast<size_t>(it - seen.begin());
      if (it == seen.end()) seen.push_back(categories[i]);
    }
    const float* col = dropped ? faint : palette[c % 10];
    // The narrower side is centred.
    const int px = margin + static_cast<int>((y(i, 0) - minx + (span - (maxx - minx)) / 2) / span * (size - 2 * margin));
    const int py = size - 1 - margin - static_cast<int>((y(i, 1) - miny + (span - (maxy - miny)) / 2) / span * (size - 2 * margin));
    for (int dy = -r; dy <= r; ++dy)
      for (int dx = -r; dx <= r; ++dx)
        if (dx * dx + dy * dy <= r * r && px + dx >= 0 && px + dx < size && py + dy >= 0 && py + dy < size)
          for (int k = 0; k < 3; ++k) img.at(px + dx, py + dy, k) = col[k];
  }
  return img;
}

// A vectors file (any format) or a model package of kind word-vectors.
std::unique_ptr<WordVectors> open_vectors(const std::string& path, long limit, bool half) {
  WordVectorsOptions opt;
  opt.limit = limit;
  opt.storage = half ? Storage::Float16 : Storage::Float32;
  opt.progress = stderr_progress("loading");
  if (fs::is_directory(path) || fs::path(path).filename() == "model.json") {
    std::unique_ptr<Space> space = cli::open_model(path);
    if (auto* wv = space->words()) {
      space.release();  // words() is the space itself
      return std::unique_ptr<WordVectors>(wv);
    }
    throw UnsupportedError(path + " is a '" + space->info().kind + "' model, not word vectors");
  }
  auto wv = WordVectors::open(path, opt);
  for (const auto& w : wv->warnings()) std::fprintf(stderr, "latent: warning: %s: %s\n", path.c_str(), w.c_str());
  return wv;
}

// The cached approximate index of a vectors file, built (and cached) when missing.
std::unique_ptr<ApproxIndex> open_or_build_index(const WordVectors& wv, const std::string& vectors_path) {
  const std::string path = ApproxIndex::path_for(vectors_path);
  if (fs::exists(path)) {
    try {
      return ApproxIndex::load(path, wv);
    } catch (const Error& e) {
      std::fprintf(stderr, "latent: warning: %s; rebuilding it\n", e.what());
    }
  }
  auto idx = ApproxIndex::build(wv, {}, stderr_progress("indexing"));
  try {
    idx->save(path);
  } catch (const Error& e) {
    std::fprintf(stderr, "latent: warning: could not cache the index: %s\n", e.what());
  }
  return idx;
}

// Answers an expression with the approximate index (3CosAdd).
QueryResult approx_query(const WordVectors& wv, const ApproxIndex& idx, const std::vector<WordTerm>& terms, int k,
                         bool keep_inputs) {
  std::vector<long> inputs;
  for (const auto& t : terms) inputs.push_back(wv.require(t.word));
  QueryResult r;
  r.inputs_excluded = !keep_inputs;
  r.method = (terms.size() == 1 ? "cosine, " : "3CosAdd, ") + idx.describe();
  r.words = idx.search(wv, wv.combine(terms), k, keep_inputs ? std::vector<long>{} : inputs);
  return r;
}

void print_answers(const std::string& title, const QueryResult& r) {
  std::printf("%s  (%s; input words %s)\n", title.c_str(), r.method.c_str(), r.inputs_excluded ? "excluded" : "kept");
  int rank = 0;
  for (const auto& w : r.words) std::printf("%3d  %-24s %.4f\n", ++rank, w.word.c_str(), w.score);
}

int grid_cols(size_t n) { return std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))))); }

}  // namespace

int main(int argc, char** argv) {
  install_memory_reserve();  // see latent/memory_reserve.h
  CLI::App app{"latent: explore the latent spaces of trained models from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "latent 0.1.0");
  // Options every command takes, before or after its name.
  app.fallthrough();
  std::string device = "auto";
  int threads = 1;
  // Applied as they are parsed too, for the commands that run during parsing (walk, grid).
  configure_torch_threads(threads);
  app.add_option("--device", device, "Where neural models run: cpu, cuda or auto (CUDA when there is a GPU)")
      ->capture_default_str()
      ->each([](const std::string& d) {
        try {
          cli::set_device(d);
        } catch (const std::exception&) {
          // Reported with the other errors below.
        }
      });
  app.add_option("--threads", threads,
                 "LibTorch intra-op threads (1 is fastest on a small machine shared with other work)")
      ->capture_default_str()
      ->each([](const std::string& t) {
        try {
          configure_torch_threads(std::stoi(t));
        } catch (const std::exception&) {
        }
      });

  // info
  std::string model;
  auto* info_cmd = app.add_subcommand("info", "Describe a model: kind, latent size, observation shape");
  info_cmd->add_option("MODEL", model, "Model package folder (or its model.json)")->required();

  // check-model: open a model and run it in a separate, capped process
  bool check_child = false, check_json = false;
  size_t check_memory_mb = 4096;
  double check_timeout = 60;
  auto* check_cmd = app.add_subcommand(
      "check-model",
      "Open a model in a separate process with a memory cap and a timeout and run its forward passes: a crash, a hang "
      "or a runaway allocation ends only that process (a TorchScript file is a program; passing is not a proof of "
      "safety)");
  check_cmd->add_option("MODEL", model, "Model package folder (or its model.json)")->required();
  check_cmd->add_option("--memory-mb", check_memory_mb, "Address-space cap of the checking process")->capture_default_str();
  check_cmd->add_option("--timeout", check_timeout, "Seconds before the check is stopped")->capture_default_str();
  check_cmd->add_flag("--json", check_json, "Print the result as JSON");
  std::string check_encoder_for;
  check_cmd->add_option("--encoder-for", check_encoder_for,
                        "Check a bare TorchScript file as the encoder of a generator: C,H,W,D,LO,HI");
  check_cmd->add_flag("--child", check_child, "Be the checking process itself (used by the studio and by check-model)")
      ->group("");

  // fit-pca
  std::string data, out_dir, name, components_arg = "0.95";
  int width = 0, height = 0, channels = 0;
  long limit = 0;
  auto* fit_cmd = app.add_subcommand("fit-pca", "Fit PCA eigenfaces to an image dataset and save a model package");
  fit_cmd->add_option("DATA", data, "Image folder, IDX file (.gz ok) or raw-array JSON header")->required();
  fit_cmd->add_option("--components,-k", components_arg,
                      "Components to keep: a count (e.g. 64) or a fraction of variance (e.g. 0.95)")
      ->capture_default_str();
  fit_cmd->add_option("--out,-o", out_dir, "Folder to write the model package to")->required();
  fit_cmd->add_option("--width", width, "Resize images to this width (default: the dataset's)");
  fit_cmd->add_option("--height", height, "Resize images to this height (default: the dataset's)");
  fit_cmd->add_option("--channels", channels, "1 (gray) or 3 (RGB) (default: the dataset's)");
  fit_cmd->add_option("--limit", limit, "Use only the first N items (default: all)");
  fit_cmd->add_option("--name", name, "Model name (default: the output folder's name)");

  // encode
  std::string image_path, out_file;
  long index = -1;
  auto* enc_cmd = app.add_subcommand("encode", "Encode an image to a latent point (a JSON array of floats)");
  enc_cmd->add_option("MODEL", model, "Model package")->required();
  enc_cmd->add_option("IMAGE", image_path, "Image file, or a dataset with --index")->required();
  enc_cmd->add_option("--index", index, "Item of a dataset to encode");
  enc_cmd->add_option("--out,-o", out_file, "Where to write z.json (default: stdout)");

  // decode
  int upscale = 1;
  int cols = 0;
  auto* dec_cmd = app.add_subcommand("decode", "Decode a latent point to an image");
  dec_cmd->add_option("MODEL", model, "Model package")->required();
  std::vector<std::string> z_files;
  dec_cmd->add_option("--z-file,-z", z_files, "JSON array of floats, one per latent dimension (several: a grid)")
      ->required();
  dec_cmd->add_option("--cols", cols, "Several points: grid columns (default: square)");
  dec_cmd->add_option("--out,-o", out_file, "PNG to write (or .f32: raw float32 pixels, HWC, in [0,1])")->required();
  dec_cmd->add_option("--scale", upscale, "Enlarge by this integer factor (nearest neighbour)")->capture_default_str();

  // rank
  std::string z_file;
  int rank_top = 0;
  bool as_json = false;
  auto* rank_cmd = app.add_subcommand("rank", "Which latent dimensions change the picture most at a point (RMS pixel "
                                                  "change for a one-sd step along each), most influential first");
  rank_cmd->add_option("MODEL", model, "Image model package")->required();
  rank_cmd->add_option("--z-file,-z", z_file, "The point (JSON array of floats; default: the origin)");
  rank_cmd->add_option("--top", rank_top, "Print only the first N (default: all)");
  rank_cmd->add_flag("--json", as_json, "One JSON object: dims and influence, in rank order");

  // reconstruct
  std::string heatmap_out;
  auto* rec_cmd = app.add_subcommand("reconstruct", "Put an image into the model and back out: the error, where it "
                                                     "is (a heat map) and how the point was found");
  rec_cmd->add_option("MODEL", model, "Image model package")->required();
  rec_cmd->add_option("IMAGE", image_path, "Image file, or a dataset with --index")->required();
  rec_cmd->add_option("--index", index, "Item of a dataset");
  rec_cmd->add_option("--heatmap", heatmap_out, "PNG: original | reconstruction | error heat map (4x amplified)");
  rec_cmd->add_option("--z-out", out_file, "Also write the point (JSON)");
  rec_cmd->add_option("--scale", upscale, "Enlarge the PNG by this integer factor")->capture_default_str();

  // sample
  int n = 16;
  uint64_t seed = 0;
  auto* sample_cmd = app.add_subcommand("sample", "Decode N random draws from the prior into a grid");
  sample_cmd->add_option("MODEL", model, "Model package")->required();
  sample_cmd->add_option("--n", n, "Number of samples")->capture_default_str();
  sample_cmd->add_option("--seed", seed, "Random seed")->capture_default_str();
  sample_cmd->add_option("--cols", cols, "Grid columns (default: square)");
  sample_cmd->add_option("--out,-o", out_file, "PNG to write")->required();
  sample_cmd->add_option("--scale", upscale, "Enlarge by this integer factor")->capture_default_str();

  // components
  int n_components = 0;
  bool with_mean = false;
  auto* comp_cmd = app.add_subcommand("components", "Write the principal components (eigenfaces) as a contact sheet");
  comp_cmd->add_option("MODEL", model, "PCA model package")->required();
  comp_cmd->add_option("--n", n_components, "How many (default: all)");
  comp_cmd->add_option("--cols", cols, "Grid columns (default: square)");
  comp_cmd->add_flag("--with-mean", with_mean, "Put the mean face first");
  comp_cmd->add_option("--out,-o", out_file, "PNG to write")->required();
  comp_cmd->add_option("--scale", upscale, "Enlarge by this integer factor")->capture_default_str();

  // arith
  std::string arith_expr, labels_path, z_out;
  std::vector<std::string> group_defs, point_defs;
  auto* ar_cmd = app.add_subcommand("arith", "Evaluate a latent expression and decode the result");
  ar_cmd->add_option("MODEL", model, "Model package")->required();
  ar_cmd->add_option("EXPR", arith_expr,
                     "e.g. 'mean(@glasses) - mean(@plain) + item(12)', 'enc(\"a.png\") - enc(\"b.png\") + z(\"c.json\")'")
      ->required();
  std::string session_path;
  ar_cmd->add_option("--session", session_path, "A studio session: its bookmarks are @points, its groups @groups");
  ar_cmd->add_option("--data", data, "Image dataset: item(N) and the groups refer to its items (default: the session's)");
  ar_cmd->add_option("--labels", labels_path, "CSV with one row per dataset item, for --group queries");
  ar_cmd->add_option("--group", group_defs, "NAME=QUERY over the labels, e.g. glasses='glasses=1 & female=0'");
  ar_cmd->add_option("--point", point_defs, "NAME=z.json: a named point");
  ar_cmd->add_option("--out,-o", out_file, "PNG to write");
  ar_cmd->add_option("--z-out", z_out, "Also write the resulting latent (JSON)");
  ar_cmd->add_option("--scale", upscale, "Enlarge by this integer factor")->capture_default_str();

  // project
  std::string method_name = "pca", plot_path, color_by, words_file, map_filter;
  bool isolate = false;
  long first_words = 1000;
  ProjectionOptions popt;
  auto* pr_cmd = app.add_subcommand("project", "Map a dataset's latents (or words) to 2-D: PCA, t-SNE or UMAP-style");
  pr_cmd->add_option("MODEL", model, "Model package, or a word-vectors file")->required();
  pr_cmd->add_option("DATA", data, "Image dataset (encoded by MODEL); for word vectors, a file with one word per line");
  pr_cmd->add_option("--method", method_name, "pca, tsne or umap")->capture_default_str();
  pr_cmd->add_option("--out,-o", out_file, "CSV to write: index,name,x,y")->required();
  pr_cmd->add_option("--plot", plot_path, "Also draw the map to this PNG");
  pr_cmd->add_option("--labels", labels_path, "CSV with one row per item, to colour the plot");
  pr_cmd->add_option("--color-by", color_by, "Label column that colours the plot");
  pr_cmd->add_option("--filter", map_filter,
                     "The studio's map filter: a label query (glasses=1 & male=0; needs --labels) or a regular "
                     "expression over the names and label rows. The CSV gains a kept column (1/0) and the plot "
                     "draws the other points faint");
  pr_cmd->add_flag("--isolate", isolate, "With --filter: write and draw only the points it keeps");
  pr_cmd->add_option("--first", first_words, "Word vectors without DATA: map the first N words")->capture_default_str();
  pr_cmd->add_option("--perplexity", popt.perplexity, "t-SNE perplexity")->capture_default_str();
  pr_cmd->add_option("--iterations", popt.tsne_iterations, "t-SNE iterations")->capture_default_str();
  pr_cmd->add_option("--neighbors", popt.neighbors, "UMAP-style: neighbours in the graph")->capture_default_str();
  pr_cmd->add_option("--min-dist", popt.min_dist, "UMAP-style: minimum distance in the layout")->capture_default_str();
  pr_cmd->add_option("--seed", popt.seed, "Random seed")->capture_default_str();
  pr_cmd->add_option("--approx-knn-above", popt.approx_knn_above,
                     "Above this many points the neighbour graph is approximate (HNSW); 0: always exact")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  pr_cmd->add_option("--fft-above", popt.tsne_fft_above,
                     "t-SNE: above this many points the repulsion is FFT-interpolated (FIt-SNE); 0: always Barnes-Hut")
      ->capture_default_str()->check(CLI::NonNegativeNumber);

  // word vectors
  std::string vectors, word, expr, questions;
  int top = 10;
  bool keep_inputs = false, half = false;
  std::string method = "add";
  long restrict_vocab = 300000;
  auto* nb_cmd = app.add_subcommand("neighbors", "Nearest words by cosine similarity");
  nb_cmd->add_option("VECTORS", vectors, "Vectors file (word2vec .bin/.txt, GloVe, fastText .vec, .lsv) or package")->required();
  nb_cmd->add_option("WORD", word, "The word")->required();
  nb_cmd->add_option("--k", top, "How many answers")->capture_default_str();
  nb_cmd->add_flag("--keep-inputs", keep_inputs, "Allow the input word among the answers");
  nb_cmd->add_option("--limit", limit, "Load only the first N words");
  bool approx = false;
  int ef = 0;
  nb_cmd->add_flag("--approx", approx, "Use the approximate index (HNSW; built and cached as VECTORS.ann when missing)");
  nb_cmd->add_option("--ef", ef, "Candidates the approximate search keeps and re-ranks exactly (default: the index's)");
  auto* an_cmd = app.add_subcommand("analogy", "Answer a word expression such as \"king - man + woman\"");
  an_cmd->add_option("VECTORS", vectors, "Vectors file or package")->required();
  an_cmd->add_option("EXPR", expr, "Words joined by + and -, with optional weights (0.5*word)")->required();
  an_cmd->add_option("--k", top, "How many answers")->capture_default_str();
  an_cmd->add_flag("--keep-inputs", keep_inputs, "Keep the input words among the answers (default: excluded)");
  an_cmd->add_option("--method", method, "add (3CosAdd) or mul (3CosMul)")->capture_default_str()->check(CLI::IsMember({"add", "mul"}));
  an_cmd->add_option("--limit", limit, "Load only the first N words");
  an_cmd->add_flag("--approx", approx, "Use the approximate index (3CosAdd only)");
  an_cmd->add_option("--ef", ef, "Candidates the approximate search keeps and re-ranks exactly");
  auto* ix_cmd = app.add_subcommand("build-index", "Build the approximate-search index of a vectors file (VECTORS.ann)");
  ApproxOptions index_options;
  ix_cmd->add_option("VECTORS", vectors, "Vectors file")->required();
  ix_cmd->add_option("--connectivity", index_options.connectivity, "Graph edges per word and level (HNSW's M)")
      ->capture_default_str()->check(CLI::Range(4, 128));
  ix_cmd->add_option("--expansion-add", index_options.expansion_add, "Candidates kept while linking a word (efConstruction)")
      ->capture_default_str()->check(CLI::Range(8, 4096));
  ix_cmd->add_option("--ef", index_options.expansion_search, "Default candidates per query (default: from the size)")
      ->check(CLI::Range(1, 65536));
  auto* ev_cmd = app.add_subcommand("eval-analogies", "Accuracy on an analogy test set (word2vec questions-words format)");
  ev_cmd->add_option("VECTORS", vectors, "Vectors file or package")->required();
  ev_cmd->add_option("QUESTIONS", questions, "questions-words.txt")->required();
  ev_cmd->add_option("--restrict-vocab", restrict_vocab, "Search only the N most frequent words")->capture_default_str();
  auto* sim_cmd = app.add_subcommand("similarity", "Cosine similarity of two words");
  std::string word2;
  sim_cmd->add_option("VECTORS", vectors, "Vectors file or package")->required();
  sim_cmd->add_option("WORD1", word, "First word")->required();
  sim_cmd->add_option("WORD2", word2, "Second word")->required();
  auto* dm_cmd = app.add_subcommand("doesnt-match", "Which word doesn't belong with the others");
  std::vector<std::string> words;
  dm_cmd->add_option("VECTORS", vectors, "Vectors file or package")->required();
  dm_cmd->add_option("WORDS", words, "Two or more words")->required();
  auto* cv_cmd = app.add_subcommand("convert", "Convert vectors to the native memory-mapped format (.lsv)");
  cv_cmd->add_option("VECTORS", vectors, "Vectors file")->required();
  cv_cmd->add_option("--out,-o", out_file, "File to write (default: VECTORS.lsv, the cache that opens instead)");
  cv_cmd->add_flag("--float16", half, "Store half-precision vectors (half the size)");
  cv_cmd->add_option("--limit", limit, "Keep only the first N words");

  // train word2vec
  auto* train_cmd = app.add_subcommand("train", "Train a model from data");
  train_cmd->require_subcommand(1);
  std::vector<std::string> corpus;
  Word2VecOptions w2v;
  auto* w2v_cmd = train_cmd->add_subcommand("word2vec", "Train word vectors (skip-gram, negative sampling) on text files");
  w2v_cmd->add_option("CORPUS", corpus, "Text files or folders of .txt files")->required();
  w2v_cmd->add_option("--out,-o", out_file, "word2vec binary file to write")->required();
  w2v_cmd->add_option("--dim", w2v.dim, "Vector size")->capture_default_str();
  w2v_cmd->add_option("--window", w2v.window, "Maximum context window")->capture_default_str();
  w2v_cmd->add_option("--negative", w2v.negative, "Negative samples per pair")->capture_default_str();
  w2v_cmd->add_option("--min-count", w2v.min_count, "Ignore words seen fewer times")->capture_default_str();
  w2v_cmd->add_option("--epochs", w2v.epochs, "Passes over the corpus")->capture_default_str();
  w2v_cmd->add_option("--threads", w2v.threads, "Worker threads")->capture_default_str();
  w2v_cmd->add_option("--sample", w2v.sample, "Subsampling threshold for frequent words")->capture_default_str();
  w2v_cmd->add_option("--alpha", w2v.alpha, "Starting learning rate")->capture_default_str();
  w2v_cmd->add_option("--seed", w2v.seed, "Random seed")->capture_default_str();

  // train vae|dcgan|skipthought, import-torchscript, bench, invert, story, style, eval-text:
  // in liblatent_torch_cli.so, opened only when the command line names one of them.
  std::unique_ptr<cli::CommandSet> torch_commands;
  if (cli::wants_torch_commands(argc, argv)) {
    try {
      torch_commands = cli::load_torch_commands(app, *train_cmd);
    } catch (const std::exception& e) {
      // Help still lists the other commands; a LibTorch command cannot run.
      std::fprintf(stderr, "latent: %s\n", e.what());
      if (!cli::asks_for_help(argc, argv)) return 1;
    }
  }
  add_walk_commands(app);  // walk, grid: they run as callbacks during parsing
  cli::add_eval_images_command(app);  // eval-images: the same

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "latent: error: %s (see latent --help)\n", e.what());
    return 2;
  }

  try {
    configure_torch_threads(threads);
    cli::set_device(device);
    if (device != "auto" && device != "cpu") {  // asked for CUDA: say now if it is not there (opens LibTorch)
      const DeviceChoice d = resolve_torch_device(device);
      if (!d.note.empty()) std::fprintf(stderr, "latent: %s\n", d.note.c_str());
    }
    if (torch_commands && torch_commands->run(command_line(argc, argv))) return 0;
    if (*info_cmd) {
      auto space = cli::open_model(model);
      const auto& i = space->info();
      if (const auto* wv = space->words()) {
        std::printf("name:        %s\nkind:        %s\nwords:       %ld\ndimensions:  %d\nformat:      %s%s\nstorage:     %s\n",
                    i.name.c_str(), i.kind.c_str(), wv->size(), wv->dim(), to_string(wv->source_format()),
                    wv->memory_mapped() ? " (opened from its memory-mapped cache)" : "",
                    wv->storage() == Storage::Float16 ? "float16" : "float32");
        return 0;
      }
      std::printf("name:        %s\nkind:        %s\nlatent dim:  %d\nmodality:    %s\n", i.name.c_str(), i.kind.c_str(),
                  i.dim, to_string(i.modality));
      std::printf("observation: %dx%dx%d, values in [%g, %g]\n", i.observation.width, i.observation.height,
                  i.observation.channels, i.observation.min_value, i.observation.max_value);
      std::printf("can:         %s%s%s\ndevice:      %s\nsource:      %s\n", i.can_encode ? "encode " : "",
                  i.can_decode ? "decode " : "", i.can_sample ? "sample" : "", i.device.c_str(), i.source.c_str());
      if (const LinearBasis* basis = space->basis())
        std::printf("pca:         %ld samples, %.2f%% of variance explained by %d components\n", basis->n_samples(),
                    100.0 * basis->explained_fraction(), i.dim);
    } else if (*fit_cmd) {
      PcaOptions opt;
      double k = 0;
      try {
        size_t used = 0;
        k = std::stod(components_arg, &used);
        if (used != components_arg.size()) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw UnsupportedError("--components must be a count or a fraction, not '" + components_arg + "'");
      }
      if (k > 0 && k < 1) opt.variance_fraction = k;
      else if (k >= 1 && k == std::floor(k)) opt.components = static_cast<int>(k);
      else throw UnsupportedError("--components must be a whole count >= 1 or a fraction in (0,1), not " + components_arg);

      DatasetOptions dopt;
      dopt.width = width, dopt.height = height, dopt.channels = channels, dopt.limit = limit;
      dopt.progress = stderr_progress("reading");
      const auto t_read = std::chrono::steady_clock::now();
      const ImageDataset ds = load_image_dataset(data, dopt);
      std::fprintf(stderr, "read %ld images of %dx%dx%d from %s in %.2f s\n", ds.count(), ds.width, ds.height,
                   ds.channels, data.c_str(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count());
      const auto t0 = std::chrono::steady_clock::now();
      auto pca = PcaSpace::fit(ds.data, ds.shape(), opt, stderr_progress("fitting"));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Reconstruction error on the training data, in pixel units: from the discarded
      // eigenvalues (an encode-decode pass over the data gave the same number, 2.4 s later).
      const double rmse = pca->train_reconstruction_rmse();
      pca->set_name(name.empty() ? fs::path(out_dir).filename().string() : name);
      nlohmann::json extra = {
          {"training",
           {{"tool", "latent fit-pca"},
            {"command", command_line(argc, argv)},
            {"data", data},
            {"data_format", ds.format},
            {"n_samples", ds.count()},
            {"date", utc_timestamp()},
            {"seed", nullptr},
            {"fit_seconds", secs}}},
          {"metrics", {{"explained_variance_fraction", pca->explained_fraction()}, {"train_reconstruction_rmse", rmse}}}};
      const auto t_write = std::chrono::steady_clock::now();
      pca->save(out_dir, extra);
      std::fprintf(stderr,
                   "kept %d components explaining %.2f%% of the variance (train RMSE %.4f), fit in %.2f s, "
                   "written in %.2f s\n",
                   pca->info().dim, 100.0 * pca->explained_fraction(), rmse, secs,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t_write).count());
      std::printf("%s\n", out_dir.c_str());
    } else if (*enc_cmd) {
      auto space = cli::open_model(model);
      const Image img = read_input_image(image_path, index, *space);
      const Latent z = space->encode(img);
      if (out_file.empty()) std::printf("%s\n", nlohmann::json(z).dump().c_str());
      else write_latent_json(z, out_file);
    } else if (*dec_cmd) {
      auto space = cli::open_model(model);
      std::vector<Image> imgs;
      for (const auto& f : z_files) imgs.push_back(space->decode(read_latent_json(f)));
      if (imgs.size() > 1) {
        for (auto& im : imgs) im = upscale_nearest(im, upscale);
        save_png(make_grid(imgs, cols > 0 ? cols : grid_cols(imgs.size())), out_file);
        std::printf("%s\n", out_file.c_str());
        return 0;
      }
      const Image img = imgs.front();
      if (fs::path(out_file).extension() == ".f32") {
        // Raw float32 pixels (row-major, channels last, [0,1]) for exact comparisons.
        write_f32_file(out_file, img.pixels.data(), img.pixels.size());
      } else {
        save_png(upscale_nearest(img, upscale), out_file);
      }
    } else if (*rank_cmd) {
      auto space = cli::open_model(model);
      const Latent z = z_file.empty() ? Latent(static_cast<size_t>(space->info().dim), 0.f) : read_latent_json(z_file);
      const std::vector<float> influence = rank_influence(*space, z, stderr_progress("ranking", 25));
      std::vector<int> order = influence_order(influence);
      if (rank_top > 0 && rank_top < static_cast<int>(order.size())) order.resize(static_cast<size_t>(rank_top));
      if (as_json) {
        nlohmann::json j = {{"model", space->info().name}, {"dims", nlohmann::json::array()},
                            {"influence", nlohmann::json::array()}};
        for (int k : order) j["dims"].push_back(k), j["influence"].push_back(influence[static_cast<size_t>(k)]);
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("rank  dim  influence (RMS pixel change for +1 sd)\n");
        for (size_t r = 0; r < order.size(); ++r)
          std::printf("%4zu %4d  %.5f\n", r + 1, order[r], influence[static_cast<size_t>(order[r])]);
      }
    } else if (*rec_cmd) {
      auto space = cli::open_model(model);
      const Image target = read_input_image(image_path, index, *space);
      const Placement p = place_image(*space, target, stderr_progress("placing the image", 25));
      const ReconstructionError e = reconstruction_error(target, p.reconstruction);
      std::printf("rmse %.5f  max %.5f  (%s)\n", e.rmse, e.max_error, p.how.c_str());
      if (!out_file.empty()) write_latent_json(p.z, out_file);
      if (!heatmap_out.empty()) {
        const auto& sh = space->info().observation;
        std::vector<Image> cells = {convert_image(target, sh.width, sh.height, 3),
                                    convert_image(p.reconstruction, sh.width, sh.height, 3), e.heatmap};
        for (auto& c : cells) c = upscale_nearest(c, upscale);
        save_png(make_grid(cells, 3), heatmap_out);
      }
    } else if (*sample_cmd) {
      if (n <= 0 || n > 10000) throw UnsupportedError("--n must be between 1 and 10000");
      auto space = cli::open_model(model);
      std::vector<Image> images;
      for (const Latent& z : space->sample(n, seed)) images.push_back(upscale_nearest(space->decode(z), upscale));
      save_png(make_grid(images, cols > 0 ? cols : grid_cols(images.size())), out_file);
    } else if (*ar_cmd) {
      if (out_file.empty() && z_out.empty()) throw UnsupportedError("say where the result goes: --out image.png and/or --z-out z.json");
      auto space = cli::open_model(model);
      std::optional<Session> session;
      if (!session_path.empty()) session = load_session(session_path);
      const auto env = cli::make_expression_env(*space, {session_path, data, labels_path, group_defs, point_defs}, session);
      const Latent z = evaluate_expression(arith_expr, *env, space->info().dim);
      if (!z_out.empty()) write_latent_json(z, z_out);
      if (!out_file.empty()) save_png(upscale_nearest(space->decode(z), upscale), out_file);
    } else if (*pr_cmd) {
      popt.method = parse_projection_method(method_name);
      popt.progress = stderr_progress("projecting");
      auto space = cli::open_model(model);
      RowMatrixXf points;
      std::vector<std::string> names;
      if (const auto* wv = space->words()) {
        std::vector<long> ids;
        if (!data.empty()) {
          std::ifstream in(data);
          if (!in) throw IoError(data + ": cannot open the word list");
          std::string w;
          while (in >> w) ids.push_back(wv->require(w));
        } else {
          for (long i = 0; i < std::min(first_words, wv->size()); ++i) ids.push_back(i);
        }
        points.resize(static_cast<long>(ids.size()), wv->dim());
        for (size_t r = 0; r < ids.size(); ++r) {
          const Latent u = wv->unit_vector(ids[r]);
          std::copy(u.begin(), u.end(), points.row(static_cast<long>(r)).data());
          names.emplace_back(wv->word(ids[r]));
        }
      } else {
        if (data.empty()) throw UnsupportedError("give an image dataset to map (DATA)");
        const ImageDataset ds = load_dataset_for(*space, data);
        points = encode_dataset(*space, ds);
        names = ds.names;
      }
      const auto t0 = std::chrono::steady_clock::now();
      const RowMatrixXf y = project_2d(points, popt);
      std::fprintf(stderr, "mapped %ld points with %s in %.2f s\n", static_cast<long>(y.rows()), method_name.c_str(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::optional<LabelTable> labels;
      if (!labels_path.empty()) {
        labels = LabelTable::read_csv(labels_path);
        if (labels->rows() != y.rows())
          throw UnsupportedError(labels_path + " has " + std::to_string(labels->rows()) + " rows for " +
                                 std::to_string(y.rows()) + " points");
      }
      // The filter, as the studio's map applies it (analysis.h).
      std::vector<char> kept;
      if (isolate && map_filter.empty()) throw UnsupportedError("--isolate needs --filter");
      if (!map_filter.empty()) {
        kept = filter_points(map_filter, static_cast<size_t>(y.rows()), names, labels ? &*labels : nullptr);
        std::fprintf(stderr, "filter '%s' keeps %ld of %ld points\n", map_filter.c_str(),
                     static_cast<long>(std::count(kept.begin(), kept.end(), 1)), static_cast<long>(y.rows()));
      }
      std::string csv = kept.empty() || isolate ? "index,name,x,y\n" : "index,name,x,y,kept\n";
      for (long i = 0; i < y.rows(); ++i) {
        if (isolate && !kept[static_cast<size_t>(i)]) continue;
        char line[128];
        std::snprintf(line, sizeof line, ",%.6g,%.6g", y(i, 0), y(i, 1));
        csv += std::to_string(i) + "," + names[i] + line;
        if (!kept.empty() && !isolate) csv += kept[static_cast<size_t>(i)] ? ",1" : ",0";
        csv += "\n";
      }
      write_file_atomic(out_file, csv);
      if (!plot_path.empty()) {
        std::vector<std::string> cats;
        if (!color_by.empty()) {
          if (!labels) throw UnsupportedError("--color-by needs --labels");
          const int c = labels->column(color_by);
          if (c < 0) throw UnsupportedError(labels_path + " has no column '" + color_by + "'");
          for (long i = 0; i < y.rows(); ++i) cats.push_back(labels->cell(i, c));
        }
        if (isolate) {  // only the kept points
          std::vector<long> rows;
          for (long i = 0; i < y.rows(); ++i)
            if (kept[static_cast<size_t>(i)]) rows.push_back(i);
          RowMatrixXf ky(static_cast<long>(rows.size()), 2);
          std::vector<std::string> kcats;
          for (size_t r = 0; r < rows.size(); ++r) {
            ky.row(static_cast<long>(r)) = y.row(rows[r]);
            if (!cats.empty()) kcats.push_back(cats[static_cast<size_t>(rows[r])]);
          }
          if (rows.empty()) throw UnsupportedError("the filter '" + map_filter + "' keeps no point to draw");
          save_png(plot_map(ky, kcats, 800), plot_path);
        } else {
          save_png(plot_map(y, cats, 800, kept), plot_path);
        }
      }
    } else if (*nb_cmd) {
      auto wv = open_vectors(vectors, limit, false);
      if (approx) {
        auto idx = open_or_build_index(*wv, vectors);
        if (ef > 0) idx->set_default_ef(ef);
        print_answers("neighbors of " + word, approx_query(*wv, *idx, {{word, 1.f}}, top, keep_inputs));
      } else {
        print_answers("neighbors of " + word, wv->neighbors(word, top, keep_inputs));
      }
    } else if (*an_cmd) {
      auto wv = open_vectors(vectors, limit, false);
      const auto terms = parse_word_expression(expr);
      if (approx) {
        if (method == "mul") throw UnsupportedError("--approx answers with 3CosAdd only (drop --method mul)");
        auto idx = open_or_build_index(*wv, vectors);
        if (ef > 0) idx->set_default_ef(ef);
        print_answers(expr, approx_query(*wv, *idx, terms, top, keep_inputs));
      } else {
        print_answers(expr, wv->query(terms, top, keep_inputs, method == "mul" ? AnalogyMethod::CosMul : AnalogyMethod::CosAdd));
      }
    } else if (*ix_cmd) {
      auto wv = open_vectors(vectors, 0, false);
      const auto t0 = std::chrono::steady_clock::now();
      auto idx = ApproxIndex::build(*wv, index_options, stderr_progress("indexing"));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string out = ApproxIndex::path_for(vectors);
      idx->save(out);
      std::fprintf(stderr, "%s: %s; built in %.1f s, %.0f MB (the vectors file: %.0f MB)\n", out.c_str(),
                   idx->describe().c_str(), secs, idx->bytes() / 1e6, fs::file_size(vectors) / 1e6);
      std::printf("%s\n", out.c_str());
    } else if (*ev_cmd) {
      auto wv = open_vectors(vectors, 0, false);
      const AnalogyReport rep = evaluate_analogies(*wv, questions, restrict_vocab, stderr_progress("evaluating"));
      std::printf("%-32s %8s %8s %8s %9s\n", "section", "correct", "total", "skipped", "accuracy");
      for (const auto& sec : rep.sections)
        std::printf("%-32s %8ld %8ld %8ld %8.2f%%\n", sec.name.c_str(), sec.correct, sec.correct + sec.incorrect,
                    sec.skipped, 100.0 * sec.accuracy());
      std::printf("%-32s %8ld %8ld %8ld %8.2f%%\n", rep.total.name.c_str(), rep.total.correct,
                  rep.total.correct + rep.total.incorrect, rep.total.skipped, 100.0 * rep.total.accuracy());
      std::fprintf(stderr, "evaluated in %.2f s (3CosAdd over the first %ld words, case-insensitive)\n", rep.seconds,
                   std::min<long>(restrict_vocab, wv->size()));
    } else if (*sim_cmd) {
      auto wv = open_vectors(vectors, 0, false);
      std::printf("%.4f\n", wv->similarity(word, word2));
    } else if (*dm_cmd) {
      auto wv = open_vectors(vectors, 0, false);
      std::printf("%s\n", wv->doesnt_match(words).c_str());
    } else if (*cv_cmd) {
      auto wv = open_vectors(vectors, limit, half);
      const std::string out = out_file.empty() ? WordVectors::cache_path_for(vectors) : out_file;
      wv->save_native(out, half ? Storage::Float16 : Storage::Float32);
      std::fprintf(stderr, "wrote %ld words x %d (%s) to %s\n", wv->size(), wv->dim(), half ? "float16" : "float32",
                   out.c_str());
      std::printf("%s\n", out.c_str());
    } else if (*w2v_cmd) {
      const Word2VecStats st = train_word2vec(corpus, w2v, out_file, stderr_progress("training"));
      std::fprintf(stderr, "trained %ld words (vocabulary %ld, corpus %ld tokens) in %.1f s: %.0f words/s\n",
                   st.trained_words, st.vocab_size, st.corpus_words, st.seconds, st.words_per_second);
      std::printf("%s\n", out_file.c_str());
    } else if (*check_cmd) {
      if (check_child) return run_model_check_child(model, check_memory_mb, check_encoder_for);
      ModelCheckOptions o;
      o.encoder_for = check_encoder_for;
      o.memory_mb = check_memory_mb;
      o.timeout_seconds = check_timeout;
      const ModelCheckResult r = check_model_in_child(model, o);
      if (check_json) {
        std::printf("%s\n", nlohmann::json{{"ok", r.ok},
                                           {"outcome", r.outcome},
                                           {"message", r.message},
                                           {"seconds", r.seconds},
                                           {"peak_rss_mb", r.peak_rss_mb},
                                           {"report", r.report}}
                                .dump()
                                .c_str());
      } else if (r.ok) {
        std::printf("%s: ok (%s, %d dims; loaded in %.0f ms, forward passes %s in %.0f ms; %.2f s and %ld MB peak in "
                    "the checking process)\n",
                    model.c_str(), r.report.value("kind", "").c_str(), r.report.value("dim", 0),
                    r.report.value("load_ms", 0.0), r.report.value("forward", nlohmann::json::array()).dump().c_str(),
                    r.report.value("forward_ms", 0.0), r.seconds, r.peak_rss_mb);
      } else {
        std::fprintf(stderr, "latent: %s: %s\n", model.c_str(), r.message.c_str());
      }
      return r.ok ? 0 : 1;
    } else if (*comp_cmd) {
      auto space = cli::open_model(model);
      const LinearBasis* basis = space->basis();
      if (!basis) throw UnsupportedError(model + " is a '" + space->info().kind + "' model; components need a PCA model");
      const int dim = space->info().dim;
      const int count = n_components > 0 ? std::min(n_components, dim) : dim;
      std::vector<Image> images;
      if (with_mean) images.push_back(upscale_nearest(basis->mean_image(), upscale));
      for (int k = 0; k < count; ++k)
        images.push_back(upscale_nearest(normalize_for_display(basis->component_image(k), true), upscale));
      save_png(make_grid(images, cols > 0 ? cols : grid_cols(images.size())), out_file);
    }
  } catch (const std::exception& e) {
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "latent: error: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}
