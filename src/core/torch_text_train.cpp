// Training skip-thought sentence spaces on LibTorch: books give centre sentences with
// their neighbours; captions give centres alone. The result is a model package of
// kind "skipthought" with its vocabulary, metrics and a calibrated default style.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/model_package.h"
#include "latent/storyteller.h"
#include "latent/torch_space.h"
#include "torch_nets.h"
#include "torch_text_net.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

using Clock = std::chrono::steady_clock;

// Sentences as token ids in one flat array; `next_continues[i]` when sentence i+1
// follows sentence i in the same book.
struct Corpus {
  std::vector<int32_t> tokens;  // ids into a corpus-wide word table, later the vocabulary
  std::vector<int64_t> start{0};
  std::vector<uint8_t> next_continues;
  std::vector<uint8_t> held;  // held out of training
  long size() const { return static_cast<long>(start.size()) - 1; }
  int length(long i) const { return static_cast<int>(start[i + 1] - start[i]); }
};

struct WordTable {
  std::unordered_map<std::string, int32_t> index;
  std::vector<std::string> words;
  int32_t id(const std::string& w) {
    auto [it, fresh] = index.emplace(w, static_cast<int32_t>(words.size()));
    if (fresh) words.push_back(w);
    return it->second;
  }
};

void add_file(const std::string& file, bool continuous, WordTable& table, Corpus& c, Vocabulary::Counts& counts) {
  std::vector<std::string> sentences = read_sentences(file);
  std::vector<bool> caps;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const auto toks = tokenize_sentence(sentences[i], &caps);
    if (toks.empty()) continue;
    counts.add(toks, caps);
    for (const auto& t : toks) c.tokens.push_back(table.id(t));
    c.start.push_back(static_cast<int64_t>(c.tokens.size()));
    c.next_continues.push_back(continuous ? 1 : 0);
  }
  if (!c.next_continues.empty()) c.next_continues.back() = 0;  // a book's last sentence has no next
}

void remap(Corpus& c, const WordTable& table, const Vocabulary& v) {
  std::vector<int32_t> map(table.words.size());
  for (size_t i = 0; i < table.words.size(); ++i) map[i] = v.id(table.words[i]);
  for (auto& t : c.tokens) t = map[t];
}

std::vector<int> sentence_ids(const Corpus& c, long i, int max_tokens) {
  const int n = std::min(c.length(i), max_tokens);
  return std::vector<int>(c.tokens.begin() + c.start[i], c.tokens.begin() + c.start[i] + n);
}

std::string sentence_text(const Corpus& c, long i, const Vocabulary& v) {
  std::vector<int> ids;
  for (int64_t k = c.start[i]; k < c.start[i + 1]; ++k)
    if (c.tokens[k] != Vocabulary::kUnk) ids.push_back(c.tokens[k]);
  return v.detokenize(ids);
}

}  // namespace

SkipThoughtResult train_skipthought(const TrainSkipThoughtOptions& o, const SkipThoughtProgressFn& progress) {
  if (o.corpus.empty() && o.captions.empty()) throw UnsupportedError("give books (CORPUS) and/or --captions to train on");
  if (o.dim < 8 || o.dim > 4096 || o.embed < 8 || o.embed > 4096) throw UnsupportedError("--dim and --embed must be 8..4096");
  if (o.vocab < 100 || o.vocab > 200000) throw UnsupportedError("--vocab must be 100..200000");
  if (o.max_tokens < 4 || o.max_tokens > 200) throw UnsupportedError("--max-tokens must be 4..200");
  if (o.batch < 2) throw UnsupportedError("--batch must be at least 2");
  if (o.epochs < 1) throw UnsupportedError("--epochs must be at least 1");
  const DeviceChoice dev = resolve_device(o.device);
  ScopedBlasThreads blas_threads;
  const torch::Device device = dev.used == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  auto report_stage = [&](const std::string& stage) {
    if (!progress) return;
    SkipThoughtProgress p;
    p.stage = stage;
    if (!progress(p)) throw Cancelled();
  };

  // ---- data
  report_stage("reading");
  const auto t_read = Clock::now();
  WordTable table;
  Corpus books, caps;
  Vocabulary::Counts book_counts, cap_counts;
  for (const auto& f : text_files(o.corpus)) add_file(f, true, table, books, book_counts);
  for (const auto& f : text_files(o.captions)) add_file(f, false, table, caps, cap_counts);
  const Vocabulary vocab = Vocabulary::build(book_counts, cap_counts, o.vocab);
  remap(books, table, vocab);
  remap(caps, table, vocab);
  const double read_s = std::chrono::duration<double>(Clock::now() - t_read).count();

  // Held out: blocks of 50 book sentences (about 1 block in 100), and the captions'
  // last `heldout` lines (whole images: COCO lists an image's captions together). The
  // blocks follow the seed; a run going on from a package keeps the package's blocks, so
  // that what it held out stays unseen.
  const nlohmann::json from_head = o.init_from.empty() ? nlohmann::json::object() : read_model_json(o.init_from);
  const uint64_t split_seed = from_head.value("training", nlohmann::json::object()).value("seed", o.seed);
  books.held.assign(books.size(), 0);
  {
    std::mt19937_64 rng(split_seed + 17);
    for (long b = 0; b * 50 < books.size(); ++b)
      if (rng() % 100 == 0)
        for (long i = b * 50; i < std::min(books.size(), (b + 1) * 50); ++i) books.held[i] = 1;
  }
  if (std::find(books.held.begin(), books.held.end(), 1) == books.held.end())  // a small corpus: its end
    for (long i = books.size() - std::min(50L, books.size() / 10); i < books.size(); ++i) books.held[i] = 1;
  caps.held.assign(caps.size(), 0);
  for (long i = std::max(0L, caps.size() - o.heldout); i < caps.size(); ++i) caps.held[i] = 1;
  auto eligible = [&](const Corpus& c, long i) { return c.length(i) >= o.min_tokens && c.length(i) <= o.max_tokens; };
  std::vector<long> book_train, cap_train, book_eval, cap_eval;
  for (long i = 0; i < books.size(); ++i)
    if (eligible(books, i)) (books.held[i] ? book_eval : book_train).push_back(i);
  for (long i = 0; i < caps.size(); ++i)
    if (eligible(caps, i)) (caps.held[i] ? cap_eval : cap_train).push_back(i);
  {
    std::mt19937_64 rng(split_seed + 29);
    std::shuffle(book_eval.begin(), book_eval.end(), rng);
    if (static_cast<long>(book_eval.size()) > o.heldout) book_eval.resize(o.heldout);
  }
  if (book_train.empty() && cap_train.empty())
    throw UnsupportedError("no sentences of " + std::to_string(o.min_tokens) + ".." + std::to_string(o.max_tokens) +
                           " tokens to train on");
  const float cap_share = book_train.empty() ? 1.f : (cap_train.empty() ? 0.f : o.caption_share);
  const long epoch_centres = o.epoch_sentences > 0
                                 ? o.epoch_sentences
                                 : static_cast<long>(book_train.empty() ? cap_train.size()
                                                                        : book_train.size() / std::max(0.05f, 1.f - cap_share));
  const long steps = std::max(1L, epoch_centres / o.batch);

  // ---- network
  textnet::Arch arch;
  arch.vocab = vocab.size();
  arch.embed = o.embed;
  arch.dim = o.dim;
  arch.cutoffs = textnet::Arch::default_cutoffs(arch.vocab);
  arch.dropout = o.dropout;
  torch::manual_seed(o.seed);
  textnet::SkipThoughtNet net(arch);
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.learning_rate));

  const fs::path out(o.out_dir);
  const fs::path ck = out / "checkpoint";
  fs::create_directories(ck);
  vocab.save((out / "vocab.tsv").string());
  const bool neighbours = o.neighbour_weight > 0 && !book_train.empty();
  nlohmann::json run_args = {{"dim", o.dim}, {"embed", o.embed}, {"vocab", arch.vocab}, {"max_tokens", o.max_tokens},
                                   {"min_tokens", o.min_tokens}, {"batch", o.batch}, {"learning_rate", o.learning_rate},
                                   {"neighbour_weight", o.neighbour_weight}, {"caption_share", cap_share},
                                   {"word_dropout", o.word_dropout}, {"dropout", o.dropout}, {"seed", o.seed},
                                   {"epoch_sentences", epoch_centres}, {"book_sentences", books.size()},
                                   {"caption_sentences", caps.size()}};
  if (!o.init_from.empty()) run_args["heldout_split_seed"] = split_seed;  // a resumed run must split the same
  nlohmann::json state = nlohmann::json::object();
  nlohmann::json started_from;  // the package an --init-from run began with
  int start_epoch = 1;
  if (!o.init_from.empty() && !o.resume) {
    const fs::path from(o.init_from);
    const std::string what = (from / "model.json").string();
    const nlohmann::json& head = from_head;
    const auto text = head.value("text", nlohmann::json::object());
    if (head.value("kind", "") != "skipthought" || text.value("format", "") != "libtorch")
      throw UnsupportedError(what + ": --init-from needs a skip-thought package of ours (kind skipthought, libtorch)");
    if (textnet::Arch::from_json(text.at("arch"), what).to_json() != arch.to_json())
      throw UnsupportedError(what + ": its sizes " + text.at("arch").dump() + " differ from this run's " +
                             arch.to_json().dump() + "; give the same --dim, --embed and --vocab");
    // The same words in the same order (how a word is displayed may have been decided by
    // an older rule: the package's file is kept as it is).
    const std::string from_vocab = (from / text.value("vocabulary", "vocab.tsv")).string();
    const Vocabulary theirs = Vocabulary::load(from_vocab);
    bool same = theirs.size() == vocab.size();
    for (int i = 0; same && i < vocab.size(); ++i) same = theirs.token(i) == vocab.token(i);
    if (!same)
      throw UnsupportedError(from_vocab + ": its vocabulary differs from the one these books and captions give; train "
                             "on the same files with the same --vocab");
    write_file_atomic((out / "vocab.tsv").string(), read_whole_file(from_vocab, "the vocabulary"));
    nets::load_weights(*net, (from / text.value("weights", "weights.pt")).string(),
                       text.value("weights_dtype", "float32") == "float16");
    net->to(device);
    started_from = {{"package", o.init_from}, {"training", head.value("training", nlohmann::json::object())},
                    {"metrics", head.value("metrics", nlohmann::json::object())}};
  }
  if (o.resume) {
    state = nets::read_checkpoint_state(ck.string(), run_args, "data or settings");
    nets::load_weights(*net, (ck / "net.pt").string());
    net->to(device);
    nets::load_optimizer(opt, (ck / "opt.pt").string());
    start_epoch = state["epoch"].get<int>() + 1;
    started_from = state.value("started_from", nlohmann::json());
  }

  double train_seconds = state.value("train_seconds", 0.0);
  long sentences_done = 0;
  const auto t_start = Clock::now();
  double last_report = -1e9;
  SkipThoughtResult result;
  result.model_dir = o.out_dir;
  nlohmann::json metrics = state.value("metrics", nlohmann::json::object());

  auto evaluate = [&](bool with_beam) {
    net->eval();
    auto backend = textnet::native_backend(net);  // shares the weights
    nlohmann::json m;
    for (int which = 0; which < 2; ++which) {
      const auto& c = which == 0 ? books : caps;
      const auto& idx = which == 0 ? book_eval : cap_eval;
      if (idx.empty()) continue;
      std::vector<std::vector<int>> ids;
      for (long i : idx) ids.push_back(sentence_ids(c, i, o.max_tokens));
      const auto ev = textnet::evaluate(*backend, vocab, ids, with_beam ? 5 : 0, o.max_tokens);
      const std::string key = which == 0 ? "novels" : "captions";
      m["heldout_" + key + "_sentences"] = ev.sentences;
      m["heldout_" + key + "_token_accuracy"] = ev.token_accuracy;
      m["heldout_" + key + "_bleu4_greedy"] = ev.bleu_greedy;
      if (with_beam) m["heldout_" + key + "_bleu4_beam5"] = ev.bleu_beam;
    }
    net->train();
    return m;
  };

  auto write_package = [&](int epochs_done, const nlohmann::json& m, const nlohmann::json& thought_stats) {
    nets::save_weights(*net, (out / "weights.pt").string(), o.half_weights);
    nlohmann::json header = {
        {"format", "latent-studio-model"},
        {"format_version", kModelFormatVersion},
        {"kind", "skipthought"},
        {"name", o.name.empty() ? out.filename().string() : o.name},
        {"latent_dim", o.dim},
        {"observation", {{"modality", "text"}}},
        {"text",
         {{"format", "libtorch"}, {"weights", "weights.pt"}, {"vocabulary", "vocab.tsv"}, {"arch", arch.to_json()},
          {"weights_dtype", o.half_weights ? "float16" : "float32"}, {"max_tokens", o.max_tokens},
          {"neighbour_decoders", neighbours}, {"tokenizer", "latent-studio words+punctuation, lower-cased, clitics split"}}},
        {"thought_stats", thought_stats},
        {"training",
         {{"corpus", o.corpus}, {"captions", o.captions}, {"book_sentences", books.size()},
          {"caption_sentences", caps.size()}, {"trained_book_centres", book_train.size()},
          {"trained_caption_centres", cap_train.size()}, {"command", o.command}, {"seed", o.seed},
          {"epochs", epochs_done}, {"args", run_args}, {"device", dev.used}, {"train_seconds", train_seconds},
          {"read_seconds", read_s}, {"library", torch_build_summary()}, {"finished_utc", utc_timestamp()},
          {"started_from", started_from}, {"heldout_split_seed", split_seed}}},
        {"metrics", m},
    };
    write_file_atomic((out / "model.json").string(), header.dump(2) + "\n");
  };

  auto thought_stats = [&]() {
    net->eval();
    torch::NoGradGuard ng;
    std::vector<std::vector<int>> ids;
    std::mt19937_64 rng(o.seed + 5);
    for (int i = 0; i < 2000; ++i) {
      const bool cap = !cap_train.empty() && (book_train.empty() || (rng() % 1000) < cap_share * 1000);
      const auto& pool = cap ? cap_train : book_train;
      ids.push_back(sentence_ids(cap ? caps : books, pool[rng() % pool.size()], o.max_tokens));
    }
    std::vector<torch::Tensor> th;
    for (size_t i = 0; i < ids.size(); i += 128) {
      std::vector<std::vector<int>> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 128));
      auto [x, len] = textnet::pad_batch(chunk, o.max_tokens);
      const auto dev = net->parameters().front().device();
      th.push_back(net->encode(x.to(dev), len.to(dev)).cpu());
    }
    auto all = torch::cat(th);
    auto mean = all.mean(0).contiguous(), sd = all.std(0).clamp_min(1e-3).contiguous();
    net->train();
    return nlohmann::json{{"sentences", ids.size()},
                          {"mean", std::vector<float>(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel())},
                          {"sd", std::vector<float>(sd.data_ptr<float>(), sd.data_ptr<float>() + sd.numel())}};
  };

  for (int epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    std::mt19937_64 rng(o.seed * 1000003ull + static_cast<uint64_t>(epoch));
    torch::manual_seed(o.seed * 7919ull + static_cast<uint64_t>(epoch));
    // Centres for the epoch: books in a shuffled order (continuing across epochs when
    // an epoch is a part of the books), captions drawn at random.
    std::vector<std::pair<uint8_t, long>> centres;  // (0 book | 1 caption, index)
    centres.reserve(epoch_centres);
    std::vector<long> order = book_train;
    std::mt19937_64 book_rng(o.seed * 31ull + 7);
    std::shuffle(order.begin(), order.end(), book_rng);
    const long per_epoch_books = static_cast<long>(std::lround(epoch_centres * (1.0 - cap_share)));
    long book_pos = order.empty() ? 0 : (static_cast<long>(epoch - 1) * per_epoch_books) % static_cast<long>(order.size());
    for (long i = 0; i < epoch_centres; ++i) {
      const bool cap = !cap_train.empty() && (order.empty() || (rng() % 100000) < cap_share * 100000);
      if (cap) {
        centres.emplace_back(1, cap_train[rng() % cap_train.size()]);
      } else {
        centres.emplace_back(0, order[book_pos]);
        book_pos = (book_pos + 1) % static_cast<long>(order.size());
      }
    }
    // Length buckets: sort chunks of 32 batches by length, then shuffle the batches.
    const long chunk = 32L * o.batch;
    for (long s = 0; s < static_cast<long>(centres.size()); s += chunk) {
      auto b = centres.begin() + s, e = centres.begin() + std::min<long>(centres.size(), s + chunk);
      std::sort(b, e, [&](const auto& x, const auto& y) {
        return (x.first ? caps : books).length(x.second) < (y.first ? caps : books).length(y.second);
      });
    }
    std::vector<long> batch_order(steps);
    std::iota(batch_order.begin(), batch_order.end(), 0L);
    std::shuffle(batch_order.begin(), batch_order.end(), rng);

    net->train();
    const auto t_epoch = Clock::now();
    std::map<std::string, double> sums;
    long n_batches = 0, epoch_sentences = 0;
    for (long step = 0; step < steps; ++step) {
      const long first = batch_order[step] * o.batch;
      const long count = std::min<long>(o.batch, static_cast<long>(centres.size()) - first);
      if (count < 2) continue;
      std::vector<std::vector<int>> enc_ids;
      // Decode tasks: (centre row, role, target ids).
      std::vector<int64_t> rows, roles;
      std::vector<std::vector<int>> targets;
      for (long k = 0; k < count; ++k) {
        const auto [is_cap, i] = centres[first + k];
        const Corpus& c = is_cap ? caps : books;
        enc_ids.push_back(sentence_ids(c, i, o.max_tokens));
        rows.push_back(k);
        roles.push_back(static_cast<int64_t>(SentenceRole::Self));
        targets.push_back(enc_ids.back());
        if (!is_cap && neighbours) {
          if (i > 0 && books.next_continues[i - 1] && !books.held[i - 1] && books.length(i - 1) > 0) {
            rows.push_back(k);
            roles.push_back(static_cast<int64_t>(SentenceRole::Previous));
            targets.push_back(sentence_ids(books, i - 1, o.max_tokens));
          }
          if (books.next_continues[i] && i + 1 < books.size() && !books.held[i + 1] && books.length(i + 1) > 0) {
            rows.push_back(k);
            roles.push_back(static_cast<int64_t>(SentenceRole::Next));
            targets.push_back(sentence_ids(books, i + 1, o.max_tokens));
          }
        }
      }
      auto [x, len] = textnet::pad_batch(enc_ids, o.max_tokens);
      const long n = static_cast<long>(targets.size());
      long tmax = 1;
      for (const auto& t : targets) tmax = std::max<long>(tmax, static_cast<long>(t.size()) + 1);
      auto dec_in = torch::zeros({n, tmax}, torch::kLong), dec_out = torch::zeros({n, tmax}, torch::kLong);
      {
        auto di = dec_in.accessor<int64_t, 2>(), dout = dec_out.accessor<int64_t, 2>();
        std::uniform_real_distribution<float> u(0.f, 1.f);
        for (long r = 0; r < n; ++r) {
          di[r][0] = Vocabulary::kBos;
          const auto& t = targets[r];
          for (size_t j = 0; j < t.size(); ++j) {
            dout[r][j] = t[j];
            if (j + 1 < static_cast<size_t>(tmax))
              di[r][j + 1] = (o.word_dropout > 0 && u(rng) < o.word_dropout) ? Vocabulary::kUnk : t[j];
          }
          dout[r][t.size()] = Vocabulary::kEos;
        }
      }
      auto role_t = torch::tensor(roles).to(device);
      auto row_t = torch::tensor(rows).to(device);
      dec_in = dec_in.to(device);
      dec_out = dec_out.to(device);
      opt.zero_grad();
      auto thought = net->encode(x.to(device), len.to(device));
      auto th = thought.index_select(0, row_t);
      auto states = net->decode_states(dec_in, th, role_t);  // [n, tmax, dim]
      auto mask = dec_out.ne(Vocabulary::kPad);
      auto flat = states.reshape({-1, arch.dim}).index({mask.view({-1})});
      auto tgt = dec_out.view({-1}).index({mask.view({-1})});
      auto token_role = role_t.view({-1, 1}).expand({n, tmax}).reshape({-1}).index({mask.view({-1})});
      auto logp = net->softmax->forward(flat, tgt).output;  // log p(target) per token
      auto is_self = token_role.eq(static_cast<int64_t>(SentenceRole::Self));
      auto self_loss = -logp.index({is_self}).mean();
      torch::Tensor loss = self_loss;
      double neigh = 0;
      const long n_neigh = (~is_self).sum().item<int64_t>();
      if (n_neigh > 0) {
        auto nl = -logp.index({~is_self}).mean();
        loss = loss + o.neighbour_weight * nl;
        neigh = nl.item<double>();
      }
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), 5.0);
      opt.step();
      sums["loss"] += loss.item<double>();
      sums["self"] += self_loss.item<double>();
      if (n_neigh > 0) {
        sums["neighbours"] += neigh;
        sums["neighbour_batches"] += 1;
      }
      ++n_batches;
      sentences_done += count;
      epoch_sentences += count;
      const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
      if (progress && (elapsed - last_report >= 2.0 || step + 1 == steps)) {
        last_report = elapsed;
        SkipThoughtProgress p;
        p.epoch = epoch;
        p.epochs = o.epochs;
        p.step = step + 1;
        p.steps = steps;
        p.sentences_per_s = sentences_done / std::max(1e-9, elapsed);
        p.eta_s = static_cast<double>((o.epochs - epoch) * steps + (steps - step - 1)) * o.batch /
                  std::max(1e-9, p.sentences_per_s);
        p.losses = {{"loss", sums["loss"] / n_batches}, {"self", sums["self"] / n_batches}};
        if (sums["neighbour_batches"] > 0) p.losses["neighbours"] = sums["neighbours"] / sums["neighbour_batches"];
        if (!progress(p)) throw Cancelled();
      }
    }
    const double epoch_s = std::chrono::duration<double>(Clock::now() - t_epoch).count();
    train_seconds += epoch_s;

    // ---- end of epoch: held-out measures, the package, a checkpoint
    const bool last = epoch == o.epochs;
    report_stage("evaluating");
    // Evaluation, thought statistics and the package work on the CPU (decoding is batch-1
    // and the package is opened on the CPU); the parameters move back after the checkpoint.
    net->to(torch::kCPU);
    const auto t_eval = Clock::now();
    metrics = evaluate(last);
    metrics["eval_seconds"] = std::chrono::duration<double>(Clock::now() - t_eval).count();
    metrics["train_sentences_per_s"] = epoch_sentences / std::max(1e-9, epoch_s);
    metrics["final_epoch_loss"] = n_batches ? sums["loss"] / n_batches : 0.0;
    metrics["final_epoch_self_loss"] = n_batches ? sums["self"] / n_batches : 0.0;
    if (sums["neighbour_batches"] > 0) metrics["final_epoch_neighbour_loss"] = sums["neighbours"] / sums["neighbour_batches"];
    const auto stats = thought_stats();
    write_package(epoch, metrics, stats);
    nets::save_weights(*net, (ck / "net.pt").string(), false);
    nets::save_optimizer(opt, (ck / "opt.pt").string());
    state = {{"epoch", epoch}, {"args", run_args}, {"train_seconds", train_seconds}, {"metrics", metrics},
             {"started_from", started_from}};
    write_file_atomic((ck / "state.json").string(), state.dump(2) + "\n");
    net->to(device);
    result.epochs_done = epoch;
    if (progress) {
      SkipThoughtProgress p;
      p.epoch = epoch;
      p.epochs = o.epochs;
      p.step = p.steps = steps;
      p.epoch_end = true;
      p.sentences_per_s = metrics["train_sentences_per_s"].get<double>();
      p.metrics = metrics;
      if (!progress(p)) throw Cancelled();
    }
  }
  if (start_epoch > o.epochs) result.epochs_done = state["epoch"].get<int>();

  // ---- the default style: the books' thoughts minus the captions', calibrated
  net->to(torch::kCPU);  // the package is written from the CPU (see the epoch's end)
  if (o.calibrate && !book_train.empty() && !cap_train.empty()) {
    report_stage("calibrating");
    auto space = StorytellerSpace::load(o.out_dir, read_model_json(o.out_dir));
    std::mt19937_64 rng(o.seed + 99);
    std::vector<std::string> a, b, probe;
    for (int i = 0; i < 2000; ++i) a.push_back(sentence_text(books, book_train[rng() % book_train.size()], vocab));
    for (int i = 0; i < 2000; ++i) b.push_back(sentence_text(caps, cap_train[rng() % cap_train.size()], vocab));
    for (size_t i = 0; i < cap_eval.size() && probe.size() < 50; i += 5) probe.push_back(sentence_text(caps, cap_eval[i], vocab));
    auto style = make_style(*space, "novels-vs-captions", a, b, probe, "2,000 training sentences of the books",
                            "2,000 training captions");
    space->put_style(style, /*save=*/true);
    metrics["default_style"] = {{"name", style.name}, {"default_strength", style.default_strength},
                                {"calibration", style.calibration}};
    // Novel-likeness of real sentences, for scale.
    double nl_b = 0, nl_c = 0;
    for (const auto& s : a) nl_b += novel_likeness(vocab, tokenize_sentence(s));
    for (const auto& s : b) nl_c += novel_likeness(vocab, tokenize_sentence(s));
    metrics["novel_likeness_of_book_sentences"] = nl_b / a.size();
    metrics["novel_likeness_of_captions"] = nl_c / b.size();
    write_package(result.epochs_done, metrics, thought_stats());
  }
  result.metrics = metrics;
  result.sentences_per_s = sentences_done / std::max(1e-9, std::chrono::duration<double>(Clock::now() - t_start).count());
  return result;
}

}  // namespace latent
