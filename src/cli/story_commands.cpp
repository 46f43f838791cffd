// The CLI's sentence-space commands: train skipthought, story, style, eval-text.
#include "story_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "latent/caption_model.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/model_package.h"
#include "latent/registry.h"
#include "latent/storyteller.h"
#include "latent/torch_space.h"
#include "progress.h"
#include "cli_options.h"

namespace fs = std::filesystem;

namespace latent::cli {

struct StoryCommands::State {
  TrainSkipThoughtOptions train;
  bool no_calibrate = false;
  std::string model, out_file, style, image, captions_file, name, probe, caption_model, bank;
  int k = 5;
  std::vector<std::string> a, b;
  uint64_t sample_seed = 0;
  std::vector<std::string> captions;
  float strength = -1.f;
  int sentences = 4, limit = 1000;
  TextDecodeOptions decode;
  PassageOptions passage;
  bool passages = false;
  int stock_min = 3;
  bool json = false, save = true;
  int batch = 1, iters = 30;
  std::vector<std::string> files;
  bool tokens = false;
  CLI::App *train_cmd = nullptr, *story = nullptr, *style_cmd = nullptr, *eval = nullptr, *bench = nullptr,
           *sentences_cmd = nullptr;
};

namespace {

std::unique_ptr<StorytellerSpace> open_storyteller(const std::string& path) {
  auto space = open_model(path);
  auto* st = space->sentences();
  if (!st)
    throw UnsupportedError(path + " is a " + space->info().kind +
                           " model; story, style and eval-text need a sentence model (kind skipthought)");
  space.release();
  return std::unique_ptr<StorytellerSpace>(st);
}

void add_decode_options(CLI::App* c, TextDecodeOptions& d) {
  c->add_option("--method", d.method, "Decoding: greedy, sample or beam")->capture_default_str();
  c->add_option("--beam", d.beam, "Beam width")->capture_default_str();
  c->add_option("--length-penalty", d.length_penalty, "Beam length penalty alpha (0: none)")->capture_default_str();
  c->add_option("--temperature", d.temperature, "Sampling temperature")->capture_default_str();
  c->add_option("--seed", d.seed, "Sampling seed (the same seed gives the same text)")->capture_default_str();
  c->add_option("--max-tokens", d.max_tokens, "Longest sentence written")->capture_default_str();
  d.no_repeat_ngram = 3;
  c->add_option("--no-repeat", d.no_repeat_ngram, "Never repeat an n-gram within a sentence (0: allow)")
      ->capture_default_str();
}

void add_passage_options(CLI::App* c, PassageOptions& p) {
  c->add_option("--passage-no-repeat", p.no_repeat_ngram,
                "Never repeat an n-gram of the passage, sentence starts counted (0: within a sentence only)")
      ->capture_default_str();
  c->add_flag("!--allow-repeats", p.distinct, "Let a passage repeat a sentence it already holds");
  c->add_option("--generic-penalty", p.generic_penalty,
                "Penalise generic sentences: minus this x their first words' log-probability under the "
                "unconditioned decoder (maximum mutual information decoding; 0: off)")
      ->capture_default_str();
  c->add_option("--generic-words", p.generic_tokens, "Words of each sentence the generic penalty applies to")
      ->capture_default_str();
  c->add_option("--stock-share", p.stock_share,
                "Never end a sentence on a stock line of the model: one its next-sentence decoder writes for at "
                "least this share of random thoughts (0: off)")
      ->capture_default_str();
  c->add_option("--keep-bonus", p.keep_bonus,
                "Favour the caption's content words the passage has not used yet: this is added to their "
                "log-probability in the sentences after the first (0: off)")
      ->capture_default_str();
  c->add_option("--keep-first", p.keep_first,
                "The same for the first sentence, decoded from the caption's own thought (0: off)")
      ->capture_default_str();
  c->add_option("--keep-from", p.keep_from, "Word of each sentence from which the caption's words are favoured")
      ->capture_default_str();
  c->add_option("--context", p.context,
                "Weight of the passage's mean thought (caption first) beside the last sentence's, for the next "
                "sentence (0: the last sentence alone)")
      ->capture_default_str();
}

// A style saved in the model: by name, or its first when `name` is empty; none when
// `name` is "none" or the model has none and none was named.
std::optional<StyleVector> saved_style(const StorytellerSpace& st, const std::string& name, const std::string& model) {
  if (name == "none") return std::nullopt;
  const auto& all = st.styles();
  if (all.empty()) {
    if (name.empty()) return std::nullopt;
    throw UnsupportedError(model + " has no saved styles; give --style A.txt:B.txt to make one");
  }
  auto it = name.empty() ? all.begin()
                         : std::find_if(all.begin(), all.end(), [&](const StyleVector& v) { return v.name == name; });
  if (it == all.end()) {
    std::string names;
    for (const auto& v : all) names += (names.empty() ? "" : ", ") + v.name;
    throw UnsupportedError("no style \"" + name + "\" in " + model + " (it has: " + names +
                           "); give A.txt:B.txt to make one");
  }
  return *it;
}

std::vector<std::string> read_list(const std::string& path) {
  auto v = read_sentences(path);
  if (v.empty()) throw FormatError(path + ": no sentences in this file");
  return v;
}

// Sentences of several files and folders (their .txt and .tsv files), `limit` of them
// drawn at random with `seed` when there are more; sentences of 3 to 30 tokens only.
std::vector<std::string> sample_sentences(const std::vector<std::string>& paths, int limit, uint64_t seed) {
  const std::vector<std::string> files = text_files(paths);
  std::vector<std::string> all;
  for (const auto& f : files)
    for (auto& s : read_list(f)) {
      const size_t n = tokenize_sentence(s).size();
      if (n >= 3 && n <= 30) all.push_back(std::move(s));
    }
  if (all.empty()) throw FormatError("no sentences of 3 to 30 words in " + paths.front());
  if (limit > 0 && static_cast<int>(all.size()) > limit) {
    std::mt19937_64 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(limit);
  }
  return all;
}

std::string describe(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " + ") + fs::path(p).filename().string();
  return out;
}

}  // namespace

StoryCommands::StoryCommands(CLI::App& app, CLI::App& train_cmd) : s_(std::make_unique<State>()) {
  State& s = *s_;
  auto* t = train_cmd.add_subcommand(
      "skipthought", "Train a skip-thought sentence space (storyteller) on books and captions into a model package");
  s.train_cmd = t;
  t->add_option("CORPUS", s.train.corpus, "Books: .txt files or folders of them (continuous text)");
  t->add_option("--captions", s.train.captions, "Caption files (one caption per line, or COCO .tsv)");
  t->add_option("--out,-o", s.train.out_dir, "Package folder to write (with checkpoint/)")->required();
  t->add_option("--dim", s.train.dim, "Thought size (GRU width)")->capture_default_str();
  t->add_option("--embed", s.train.embed, "Word embedding size")->capture_default_str();
  t->add_option("--vocab", s.train.vocab, "Vocabulary size, specials included")->capture_default_str();
  t->add_option("--epochs", s.train.epochs, "Epochs")->capture_default_str();
  t->add_option("--epoch-sentences", s.train.epoch_sentences,
                "Centre sentences per epoch (0: every book sentence once); a checkpoint after each");
  t->add_option("--batch", s.train.batch, "Centre sentences per step")->capture_default_str();
  t->add_option("--max-tokens", s.train.max_tokens, "Longest centre sentence trained on")->capture_default_str();
  t->add_option("--lr", s.train.learning_rate, "Adam learning rate")->capture_default_str();
  t->add_option("--neighbour-weight", s.train.neighbour_weight,
                "Weight of predicting the previous and next sentences (0: a sentence autoencoder)")
      ->capture_default_str();
  t->add_option("--caption-share", s.train.caption_share, "Share of centre sentences drawn from the captions")
      ->capture_default_str();
  t->add_option("--word-dropout", s.train.word_dropout, "Decoder inputs replaced by <unk>")->capture_default_str();
  t->add_option("--dropout", s.train.dropout, "Dropout on decoder outputs")->capture_default_str();
  t->add_option("--heldout", s.train.heldout, "Held-out sentences per corpus for the metrics")->capture_default_str();
  t->add_option("--seed", s.train.seed, "Random seed (the same seed gives the same model on the CPU)")
      ->capture_default_str();
  t->add_flag("--resume", s.train.resume, "Continue from OUT/checkpoint");
  t->add_option("--init-from", s.train.init_from,
                "Start from this skip-thought package's weights (same books, captions, sizes and --vocab) with a "
                "fresh optimiser: train a shipped model further when its checkpoint is gone");
  t->add_flag("--half", s.train.half_weights, "Store the package's weights as float16");
  t->add_flag("--no-calibrate", s.no_calibrate, "Skip making the default style vector (books vs captions)");
  t->add_option("--name", s.train.name, "Model name (default: the folder's name)");

  s.story = app.add_subcommand("story", "Captions -> thought + style -> a passage (neural-storyteller)");
  s.story->add_option("MODEL", s.model, "Sentence model package (kind skipthought)")->required();
  s.story->add_option("--caption,-c", s.captions, "A caption (repeat for several: their mean thought is used)");
  s.story->add_option("--captions-file", s.captions_file, "Captions, one per line");
  s.story->add_option("--image", s.image, "An image with captions (a captions.tsv beside it, COCO style)");
  s.story->add_option("--caption-model", s.caption_model,
                      "With --image: a visual-semantic embedding (caption-model.json) that retrieves the k nearest "
                      "captions from its bank");
  s.story->add_option("--bank", s.bank, "Caption bank for --caption-model (one caption per line; default: its own)");
  s.story->add_option("--k", s.k, "Captions retrieved by --caption-model")->capture_default_str();
  s.story->add_option("--style", s.style,
                      "A style saved in the model (default: its first), A.txt:B.txt to make one, or none");
  s.story->add_option("--strength", s.strength, "Style strength (default: the style's calibrated one)");
  s.story->add_option("--sentences", s.sentences, "Sentences in the passage")->capture_default_str();
  s.story->add_option("--out,-o", s.out_file, "Also write the passage to this file");
  s.story->add_flag("--json", s.json, "Print the captions, style, strength, passage and measures as JSON");
  add_decode_options(s.story, s.decode);
  add_passage_options(s.story, s.passage);

  s.style_cmd = app.add_subcommand("style", "Make a style vector from two texts (mean of A - mean of B) and calibrate it");
  s.style_cmd->add_option("MODEL", s.model, "Sentence model package")->required();
  s.style_cmd->add_option("--a", s.a, "Text in the target style: files or folders (books, or one sentence per line)")
      ->required();
  s.style_cmd->add_option("--b", s.b, "Text in the source style (e.g. captions): files or folders")->required();
  s.style_cmd->add_option("--sample-seed", s.sample_seed, "Seed of the random choice of --limit sentences")
      ->capture_default_str();
  s.style_cmd->add_option("--name", s.name, "Name to save it under")->required();
  s.style_cmd->add_option("--probe", s.probe, "Captions to calibrate the strength on (default: B's first 40)");
  s.style_cmd->add_option("--limit", s.limit, "Sentences drawn at random from each of A and B")->capture_default_str();
  s.style_cmd->add_flag("!--no-save", s.save, "Print only; do not save into the model's styles.json");

  s.bench = app.add_subcommand("bench-text", "Time a sentence model: encode and greedy decode, ms per sentence");
  s.bench->add_option("MODEL", s.model, "Sentence model package")->required();
  s.bench->add_option("FILE", s.captions_file, "Sentences to encode and decode (one per line or a book)")->required();
  s.bench->add_option("--batch", s.batch, "Sentences per call")->capture_default_str();
  s.bench->add_option("--iters", s.iters, "Timed calls (after 3 untimed)")->capture_default_str();
  s.bench->add_flag("--json", s.json, "Print JSON");

  s.sentences_cmd = app.add_subcommand(
      "sentences", "Split books (or caption files) into sentences as the trainer does: one per line, a blank line between files");
  s.sentences_cmd->add_option("FILE", s.files, "Text files or folders of .txt files")->required();
  s.sentences_cmd->add_flag("--tokens", s.tokens, "Print each sentence's tokens, separated by spaces");

  s.eval = app.add_subcommand("eval-text", "Reconstruction of held-out sentences (token accuracy, BLEU-4 greedy and beam), or with --passages: passages told from captions (repeats, stock lines, content kept, novel-likeness)");
  s.eval->add_option("MODEL", s.model, "Sentence model package")->required();
  s.eval->add_option("FILE", s.captions_file, "Sentences (book .txt or one per line)")->required();
  s.eval->add_option("--limit", s.limit, "Sentences evaluated: the first N of 3 to 30 tokens")->capture_default_str();
  s.eval->add_option("--beam", s.decode.beam, "Beam width (0: greedy only; with --passages: the beam width)")
      ->capture_default_str();
  s.eval->add_flag("--json", s.json, "Print JSON");
  s.eval->add_flag("--passages", s.passages,
                   "FILE holds captions, one per line: tell a passage from each (style at its calibrated strength) "
                   "and measure repeated sentences, stock lines, content kept and novel-likeness");
  s.eval->add_option("--method", s.decode.method, "With --passages: greedy, sample or beam")->capture_default_str();
  s.eval->add_option("--sentences", s.sentences, "With --passages: sentences per passage")->capture_default_str();
  s.eval->add_option("--style", s.style, "With --passages: a style saved in the model (default: its first), or none");
  s.eval->add_option("--strength", s.strength, "With --passages: style strength (default: the style's calibrated one)");
  s.eval->add_option("--stock-min", s.stock_min, "With --passages: a stock line is a sentence in this many passages")
      ->capture_default_str();
  add_passage_options(s.eval, s.passage);
}

StoryCommands::~StoryCommands() = default;

bool StoryCommands::run(const std::string& command_line) {
  State& s = *s_;
  const ScopedBlasThreads blas_threads;  // one thread pool at a time
  if (*s.train_cmd) {
    TrainSkipThoughtOptions o = s.train;
    o.device = open_options().device;
    o.command = command_line;
    o.calibrate = !s.no_calibrate;
    const DeviceChoice d = resolve_device(o.device);
    std::fprintf(stderr, "training a skip-thought model on %s (%s)\n", d.used.c_str(), torch_build_summary().c_str());
    const auto r = train_skipthought(o, [](const SkipThoughtProgress& p) {
      if (!p.stage.empty()) {
        std::fprintf(stderr, "%s...\n", p.stage.c_str());
        return true;
      }
      std::string losses;
      char buf[64];
      for (const auto& [k, v] : p.losses) {
        std::snprintf(buf, sizeof buf, " %s %.3f", k.c_str(), v);
        losses += buf;
      }
      if (p.epoch_end) {
        const auto& m = p.metrics;
        std::fprintf(stderr,
                     "epoch %d/%d done | %.1f sentences/s | held-out token accuracy novels %.3f captions %.3f | "
                     "BLEU-4 greedy %.1f / %.1f | checkpoint written\n",
                     p.epoch, p.epochs, p.sentences_per_s, m.value("heldout_novels_token_accuracy", 0.0),
                     m.value("heldout_captions_token_accuracy", 0.0), m.value("heldout_novels_bleu4_greedy", 0.0),
                     m.value("heldout_captions_bleu4_greedy", 0.0));
      } else {
        std::fprintf(stderr, "epoch %d/%d step %ld/%ld |%s | %.1f sentences/s | ETA %s\n", p.epoch, p.epochs, p.step,
                     p.steps, losses.c_str(), p.sentences_per_s, duration_text(p.eta_s).c_str());
      }
      return true;
    });
    std::fprintf(stderr, "trained %d epochs at %.1f sentences/s; metrics %s\n", r.epochs_done, r.sentences_per_s,
                 r.metrics.dump().c_str());
    std::printf("%s\n", r.model_dir.c_str());
    return true;
  }
  if (*s.story) {
    auto st = open_storyteller(s.model);
    std::vector<std::string> captions = s.captions;
    if (!s.captions_file.empty())
      for (auto& c : read_list(s.captions_file)) captions.push_back(c);
    std::vector<RetrievedCaption> retrieved;
    if (!s.image.empty()) {
      if (!s.caption_model.empty()) {
        auto cm = CaptionModel::open(s.caption_model);
        if (!s.bank.empty()) cm->set_bank(read_list(s.bank));
        retrieved = cm->retrieve(load_image(s.image), s.k);
        for (const auto& r : retrieved) {
          captions.push_back(r.caption);
          if (!s.json) std::fprintf(stderr, "retrieved (%.3f): %s\n", r.score, r.caption.c_str());
        }
      } else {
        auto c = image_captions(s.image);
        if (c.empty())
          throw UnsupportedError(s.image + ": no captions found for this image (a captions.tsv in its folder or the "
                                 "one above, with its number as image_id); give --caption or --caption-model");
        captions.insert(captions.end(), c.begin(), c.end());
      }
    }
    if (captions.empty()) throw UnsupportedError("give --caption, --captions-file or --image");
    const Latent base = st->mean_thought(captions);
    StyleVector style;
    bool have_style = false;
    if (s.style != "none") {
      if (s.style.find(':') != std::string::npos) {
        const auto colon = s.style.find(':');
        const std::string fa = s.style.substr(0, colon), fb = s.style.substr(colon + 1);
        auto a = read_list(fa), b = read_list(fb);
        style = make_style(*st, fs::path(fa).stem().string() + "-vs-" + fs::path(fb).stem().string(), a, b,
                           s.strength < 0 ? captions : std::vector<std::string>{}, fa, fb, stderr_progress("style", 25));
        have_style = true;
      } else if (auto saved = saved_style(*st, s.style, s.model)) {
        style = *saved;
        have_style = true;
      }
    }
    const float strength = have_style ? (s.strength >= 0 ? s.strength : style.default_strength) : 0.f;
    Latent z = base;
    if (have_style)
      for (size_t i = 0; i < z.size(); ++i) z[i] += strength * style.vector[i];
    const int n = st->has_neighbour_decoders() ? std::max(1, s.sentences) : 1;
    PassageOptions po = s.passage;
    po.keep_words = content_words_of(captions);
    const auto passage = st->tell(z, n, s.decode, {}, po);
    std::string text;
    for (const auto& p : passage) text += (text.empty() ? "" : " ") + p;
    if (!s.out_file.empty()) write_file_atomic(s.out_file, text + "\n");
    if (s.json) {
      const auto toks = tokenize_sentence(passage.front());
      std::vector<std::string> cap_toks;
      for (const auto& c : captions)
        for (auto& t : tokenize_sentence(c)) cap_toks.push_back(t);
      nlohmann::json j = {{"captions", captions}, {"style", have_style ? style.name : "none"}, {"strength", strength},
                          {"passage", passage}, {"text", text},
                          {"novel_likeness_first_sentence", novel_likeness(st->vocabulary(), toks)},
                          {"content_kept_first_sentence", content_kept(tokenize_sentence(captions.front()), toks)},
                          {"decoding", s.decode.method}};
      if (!retrieved.empty()) {
        j["retrieved"] = nlohmann::json::array();
        for (const auto& r : retrieved) j["retrieved"].push_back({{"caption", r.caption}, {"score", r.score}});
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s\n", text.c_str());
      if (n < s.sentences)
        std::fprintf(stderr, "note: %s has no next-sentence decoder, so the passage is one sentence\n", s.model.c_str());
    }
    return true;
  }
  if (*s.style_cmd) {
    auto st = open_storyteller(s.model);
    const auto a = sample_sentences(s.a, s.limit, s.sample_seed), b = sample_sentences(s.b, s.limit, s.sample_seed + 1);
    std::vector<std::string> probe = s.probe.empty() ? std::vector<std::string>(b.begin(), b.begin() + std::min<size_t>(40, b.size()))
                                                     : read_list(s.probe);
    const std::string a_from = std::to_string(a.size()) + " sentences of " + describe(s.a);
    const std::string b_from = std::to_string(b.size()) + " sentences of " + describe(s.b);
    const auto style = make_style(*st, s.name, a, b, probe, a_from, b_from, stderr_progress("style", 20));
    std::printf("style %s: mean thought of %s minus that of %s\n", style.name.c_str(), a_from.c_str(), b_from.c_str());
    std::printf("strength  novel-likeness  content kept\n");
    for (const auto& row : style.calibration["table"])
      std::printf("%8.2f  %14.2f  %12.2f\n", row["strength"].get<double>(), row["novel_likeness"].get<double>(),
                  row["content_kept"].get<double>());
    std::printf("default strength: %.2f\n", style.default_strength);
    if (s.save) {
      st->put_style(style, true);
      std::fprintf(stderr, "saved into %s\n", (fs::path(package_dir(s.model)) / "styles.json").string().c_str());
    }
    return true;
  }
  if (*s.sentences_cmd) {
    bool first = true;
    for (const auto& f : text_files(s.files)) {
      if (!first) std::printf("\n");
      first = false;
      for (const auto& sentence : read_sentences(f)) {
        if (!s.tokens) {
          std::printf("%s\n", sentence.c_str());
          continue;
        }
        std::string line;
        for (const auto& t : tokenize_sentence(sentence)) line += (line.empty() ? "" : " ") + t;
        if (!line.empty()) std::printf("%s\n", line.c_str());
      }
    }
    return true;
  }
  if (*s.bench) {
    auto st = open_storyteller(s.model);
    const auto sentences = read_list(s.captions_file);
    if (s.batch < 1 || s.batch > 4096) throw UnsupportedError("--batch must be 1..4096");
    std::vector<double> enc, dec;
    for (int it = 0; it < s.iters + 3; ++it) {
      std::vector<std::string> b;
      for (int k = 0; k < s.batch; ++k) b.push_back(sentences[(static_cast<size_t>(it) * s.batch + k) % sentences.size()]);
      const auto t0 = std::chrono::steady_clock::now();
      const auto z = st->encode_sentences(b);
      const auto t1 = std::chrono::steady_clock::now();
      st->greedy_ids(z, 35);
      const auto t2 = std::chrono::steady_clock::now();
      if (it < 3) continue;
      enc.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() / s.batch);
      dec.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count() / s.batch);
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const nlohmann::json j = {{"batch", s.batch}, {"iters", s.iters}, {"encode_ms_per_sentence", median(enc)},
                              {"greedy_decode_ms_per_sentence", median(dec)}, {"library", torch_build_summary()}};
    if (s.json) std::printf("%s\n", j.dump().c_str());
    else std::printf("batch %d: encode %.3f ms, greedy decode %.3f ms per sentence (median of %d)\n", s.batch,
                     median(enc), median(dec), s.iters);
    return true;
  }
  if (*s.eval && s.passages) {
    auto st = open_storyteller(s.model);
    const auto captions = read_list(s.captions_file);
    if (!st->has_neighbour_decoders())
      throw UnsupportedError(s.model + " has no next-sentence decoder, so it writes one sentence, not a passage");
    if (s.stock_min < 2) throw UnsupportedError("--stock-min must be at least 2");
    const auto style = saved_style(*st, s.style, s.model);
    const float strength = style ? (s.strength >= 0 ? s.strength : style->default_strength) : 0.f;
    std::vector<std::vector<std::string>> passages;
    for (size_t i = 0; i < captions.size(); ++i) {
      Latent z = st->encode_text(captions[i]);
      if (style)
        for (size_t k = 0; k < z.size(); ++k) z[k] += strength * style->vector[k];
      TextDecodeOptions d = s.decode;
      d.seed = s.decode.seed + i;
      PassageOptions po = s.passage;
      po.keep_words = content_words_of({captions[i]});
      passages.push_back(st->tell(z, std::max(1, s.sentences), d, {}, po));
      if (!s.json) std::fprintf(stderr, "\rpassage %zu/%zu", i + 1, captions.size());
    }
    if (!s.json) std::fprintf(stderr, "\n");
    const auto r = measure_passages(st->vocabulary(), captions, passages, s.stock_min);
    std::vector<std::pair<std::string, double>> model_stock;
    if (s.passage.stock_share > 0)
      for (const auto& [line, share] : st->stock_lines())
        if (share >= s.passage.stock_share) model_stock.emplace_back(line, share);
    const std::string decoding = s.decode.method == "beam" ? "beam " + std::to_string(s.decode.beam) : s.decode.method;
    if (s.json) {
      nlohmann::json ps = nlohmann::json::array();
      for (const auto& p : r.passages)
        ps.push_back({{"caption", p.caption}, {"passage", p.sentences}, {"repeated_sentences", p.repeated},
                      {"content_kept", p.content_kept}, {"novel_likeness", p.novel_likeness}});
      nlohmann::json stock = nlohmann::json::array();
      for (const auto& [line, n] : r.stock_lines) stock.push_back({{"sentence", line}, {"passages", n}});
      std::printf("%s\n", nlohmann::json({{"passages", ps}, {"decoding", decoding},
                                          {"style", style ? style->name : "none"}, {"strength", strength},
                                          {"sentences", r.sentences}, {"repeated_sentences", r.repeated},
                                          {"passages_with_repeats", r.passages_with_repeats},
                                          {"stock_min", r.stock_min}, {"stock_lines", stock},
                                          {"content_kept", r.content_kept}, {"min_content_kept", r.min_content_kept},
                                          {"novel_likeness", r.novel_likeness},
                                          {"min_novel_likeness", r.min_novel_likeness},
                                          {"model_stock_lines_avoided", model_stock}})
                                .dump(2)
                                .c_str());
    } else {
      for (const auto& p : r.passages) {
        std::string text;
        for (const auto& x : p.sentences) text += (text.empty() ? "" : " ") + x;
        std::printf("%s\n  -> %s\n", p.caption.c_str(), text.c_str());
      }
      std::printf("passages %zu, sentences %ld (%s, style %s at %.2f)\n", r.passages.size(), r.sentences,
                  decoding.c_str(), style ? style->name.c_str() : "none", strength);
      std::printf("repeated sentences %ld, in %ld passages\n", r.repeated, r.passages_with_repeats);
      std::printf("stock lines (in %d or more passages) %zu\n", r.stock_min, r.stock_lines.size());
      for (const auto& [line, n] : r.stock_lines) std::printf("  %d passages: %s\n", n, line.c_str());
      std::printf("content kept mean %.3f (min %.3f)\nnovel-likeness mean %+.3f (min %+.3f)\n", r.content_kept,
                  r.min_content_kept, r.novel_likeness, r.min_novel_likeness);
      std::printf("the model's stock lines avoided (written for %.1f%% or more of random thoughts): %zu\n",
                  100.0 * s.passage.stock_share, model_stock.size());
      for (const auto& [line, share] : model_stock) std::printf("  %.1f%%: %s\n", 100.0 * share, line.c_str());
    }
    return true;
  }
  if (*s.eval) {
    auto st = open_storyteller(s.model);
    // Sentences of 3 to 30 tokens, as the trainer's held-out sets; the first --limit of them.
    std::vector<std::string> sentences;
    for (auto& x : read_list(s.captions_file)) {
      const size_t n = tokenize_sentence(x).size();
      if (n >= 3 && n <= 30 && static_cast<int>(sentences.size()) < s.limit) sentences.push_back(std::move(x));
    }
    const auto ev = st->evaluate(sentences, s.decode.beam);
    if (s.json) {
      nlohmann::json ex = nlohmann::json::array();
      for (const auto& [a, b] : ev.examples) ex.push_back({{"source", a}, {"decoded", b}});
      std::printf("%s\n", nlohmann::json({{"sentences", ev.sentences}, {"tokens", ev.tokens},
                                          {"token_accuracy", ev.token_accuracy}, {"bleu4_greedy", ev.bleu_greedy},
                                          {"bleu4_beam", ev.bleu_beam}, {"beam", s.decode.beam}, {"examples", ex}})
                                .dump(2)
                                .c_str());
    } else {
      std::printf("sentences %ld, tokens %ld\nteacher-forced token accuracy %.4f\nBLEU-4 greedy %.2f, beam %d %.2f\n",
                  ev.sentences, ev.tokens, ev.token_accuracy, ev.bleu_greedy, s.decode.beam, ev.bleu_beam);
      for (const auto& [a, b] : ev.examples) std::printf("  %s\n  -> %s\n", a.c_str(), b.c_str());
    }
    return true;
  }
  return false;
}

}  // namespace latent::cli
