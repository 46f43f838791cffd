#include "latent/word2vec_train.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "test_util.h"

using namespace latent;
using test_util::TempDir;
namespace fs = std::filesystem;

namespace {

using Tokens = std::vector<std::string>;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A word2vec binary file, parsed strictly.
struct Vectors {
  int dim = 0;
  std::vector<std::string> words;
  std::vector<std::vector<float>> vecs;
  const std::vector<float>& of(const std::string& w) const {
    for (size_t i = 0; i < words.size(); ++i)
      if (words[i] == w) return vecs[i];
    throw std::runtime_error("no word " + w);
  }
};

Vectors read_vectors(const std::string& path) {
  const std::string b = read_bytes(path);
  Vectors v;
  size_t nl = b.find('\n');
  EXPECT_NE(nl, std::string::npos);
  long n = 0;
  std::istringstream(b.substr(0, nl)) >> n >> v.dim;
  size_t pos = nl + 1;
  for (long i = 0; i < n; ++i) {
    const size_t sp = b.find(' ', pos);
    EXPECT_NE(sp, std::string::npos);
    v.words.push_back(b.substr(pos, sp - pos));
    pos = sp + 1;
    std::vector<float> x(v.dim);
    EXPECT_LE(pos + 4 * v.dim + 1, b.size());
    for (int k = 0; k < v.dim; ++k) {
      const auto* p = reinterpret_cast<const unsigned char*>(b.data() + pos + 4 * k);
      const uint32_t u = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
      std::memcpy(&x[k], &u, 4);
    }
    pos += 4 * v.dim;
    EXPECT_EQ(b[pos], '\n');
    ++pos;
    v.vecs.push_back(std::move(x));
  }
  EXPECT_EQ(pos, b.size());
  return v;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t k = 0; k < a.size(); ++k) ab += a[k] * b[k], aa += a[k] * a[k], bb += b[k] * b[k];
  return ab / std::sqrt(aa * bb);
}

// `topics` topics of 8 words each, one file per topic: a word only ever co-occurs with
// words of its own topic. Words are "a0".."a7", "b0".."b7", ...
constexpr int kTopicWords = 8;

void write_topics(const TempDir& dir, int topics, int tokens_per_topic, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, kTopicWords - 1);
  for (int topic = 0; topic < topics; ++topic) {
    std::string text;
    for (int i = 0; i < tokens_per_topic; ++i) {
      text += static_cast<char>('a' + topic) + std::to_string(pick(rng));
      text += (i % 12 == 11) ? ".\n" : " ";
    }
    write_file(dir / ("topic_" + std::string(1, static_cast<char>('a' + topic)) + ".txt"), text);
  }
}

struct TopicSims {
  double within = 0, across = 0;  // mean cosine similarity of word pairs
  double nearest_same = 0;        // share of words whose nearest other word is in their topic
};

TopicSims topic_similarities(const Vectors& v, int topics) {
  TopicSims s;
  int nw = 0, na = 0, same = 0;
  const int n = topics * kTopicWords;
  auto word = [](int k) { return static_cast<char>('a' + k / kTopicWords) + std::to_string(k % kTopicWords); };
  for (int x = 0; x < n; ++x) {
    double best = -2;
    int best_y = -1;
    for (int y = 0; y < n; ++y) {
      if (y == x) continue;
      const double c = cosine(v.of(word(x)), v.of(word(y)));
      if (c > best) best = c, best_y = y;
      if (y < x) continue;
      if (x / kTopicWords == y / kTopicWords) s.within += c, ++nw;
      else s.across += c, ++na;
    }
    same += best_y / kTopicWords == x / kTopicWords;
  }
  s.within /= nw;
  s.across /= na;
  s.nearest_same = static_cast<double>(same) / n;
  return s;
}

Word2VecOptions small_options() {
  Word2VecOptions o;
  o.dim = 12;  // not a multiple of 8: exercises the row padding
  o.window = 3;
  o.negative = 5;
  o.min_count = 1;
  o.epochs = 5;
  o.threads = 1;
  o.seed = 7;
  return o;
}

}  // namespace

// ------------------------------------------------------------------ tokenizer

TEST(Word2VecTokenize, LowerCasesAndSplitsOnPunctuation) {
  EXPECT_EQ(tokenize("Hello, World! It was 1811; the 3rd of May."),
            (Tokens{"hello", "world", "it", "was", "1811", "the", "3rd", "of", "may"}));
  EXPECT_EQ(tokenize(""), Tokens{});
  EXPECT_EQ(tokenize("  ...  --  "), Tokens{});
  EXPECT_EQ(tokenize("line one\nline\ttwo\r\n"), (Tokens{"line", "one", "line", "two"}));
  EXPECT_EQ(tokenize("to-morrow _italic_ a/b"), (Tokens{"to", "morrow", "italic", "a", "b"}));
}

TEST(Word2VecTokenize, KeepsInnerApostrophesOnly) {
  EXPECT_EQ(tokenize("Don't say 'no' to the dogs' o'clock rock'n'roll"),
            (Tokens{"don't", "say", "no", "to", "the", "dogs", "o'clock", "rock'n'roll"}));
  EXPECT_EQ(tokenize("a''b 'tis '"), (Tokens{"a", "b", "tis"}));
}

TEST(Word2VecTokenize, CurlyQuotesAndDashesSeparate) {
  // U+201C/U+201D quotes, U+2014 em dash, U+2013 en dash, U+2026 ellipsis, U+00A0 no-break space.
  EXPECT_EQ(tokenize("\u201CYes,\u201D she said\u2014well\u2013nearly\u2026 quite\u00A0so"),
            (Tokens{"yes", "she", "said", "well", "nearly", "quite", "so"}));
  // U+2019 between letters is an apostrophe (written as '), elsewhere a closing quote.
  EXPECT_EQ(tokenize("don\u2019t \u2018quote\u2019 \u2019tis"), (Tokens{"don't", "quote", "tis"}));
}

TEST(Word2VecTokenize, KeepsNonAsciiLetters) {
  EXPECT_EQ(tokenize("Caf\u00E9 na\u00EFve \u00C9LAN \u0152uvre \u00DCber stra\u00DFe"),
            (Tokens{"caf\u00E9", "na\u00EFve", "\u00E9lan", "\u0153uvre", "\u00FCber", "stra\u00DFe"}));
  EXPECT_EQ(tokenize("\u00AB\u00E0 la\u00BB \u00A3 5 \u00D7 3"), (Tokens{"\u00E0", "la", "5", "3"}));
  // Invalid UTF-8 bytes separate words and never end up inside one.
  EXPECT_EQ(tokenize("ab\xFF" "cd \xE2\x80 ef\xC3"), (Tokens{"ab", "cd", "ef"}));
}

TEST(Word2VecTokenize, IsIdempotent) {
  const std::string text = "\u201CDon\u2019t,\u201D said \u00C9mile\u2014it\u2019s 'ok' o'clock.";
  Tokens once = tokenize(text);
  std::string joined;
  for (const auto& t : once) joined += t + " ";
  EXPECT_EQ(tokenize(joined), once);
}

// ------------------------------------------------------------------ training

TEST(Word2VecTrain, LearnsTopicStructure) {
  TempDir dir;
  const int topics = 3;
  write_topics(dir, topics, 8000, 1);
  for (int threads : {1, 2}) {
    Word2VecOptions o = small_options();
    o.threads = threads;
    const std::string out = dir / ("vectors" + std::to_string(threads) + ".bin");
    const Word2VecStats st = train_word2vec({dir.path.string()}, o, out);
    EXPECT_EQ(st.vocab_size, topics * kTopicWords);
    EXPECT_EQ(st.corpus_words, topics * 8000);
    EXPECT_EQ(st.trained_words, topics * 8000 * o.epochs);
    EXPECT_GT(st.words_per_second, 0);
    // Random starting vectors have similarities near 0 within and across topics. Trained,
    // the words of a topic point the same way (skip-gram vectors also share a common
    // direction, so the cross-topic similarity is not near 0 but clearly lower).
    const TopicSims s = topic_similarities(read_vectors(out), topics);
    EXPECT_GT(s.within, 0.9) << "threads " << threads;
    EXPECT_GT(s.within - s.across, 0.3) << "threads " << threads << ", across " << s.across;
    EXPECT_EQ(s.nearest_same, 1.0) << "threads " << threads;
  }
}

TEST(Word2VecTrain, ReproducibleWithOneThreadAndASeed) {
  TempDir dir;
  write_topics(dir, 2, 5000, 2);
  Word2VecOptions o = small_options();
  train_word2vec({dir.path.string()}, o, dir / "r1.bin");
  train_word2vec({dir.path.string()}, o, dir / "r2.bin");
  o.seed = 8;
  train_word2vec({dir.path.string()}, o, dir / "r3.bin");
  EXPECT_EQ(read_bytes(dir / "r1.bin"), read_bytes(dir / "r2.bin"));
  EXPECT_NE(read_bytes(dir / "r1.bin"), read_bytes(dir / "r3.bin"));
}

TEST(Word2VecTrain, MinCountFiltersAndOrdersByCount) {
  TempDir dir;
  std::string text;
  // counts: the 12, cat 6, sat 5, on 4, mat 1
  for (int i = 0; i < 12; ++i) text += "The ";
  for (int i = 0; i < 6; ++i) text += "cat ";
  for (int i = 0; i < 5; ++i) text += "sat ";
  for (int i = 0; i < 4; ++i) text += "on ";
  text += "mat.\n";
  write_file(dir / "a.txt", text);
  Word2VecOptions o = small_options();
  o.min_count = 5;
  const Word2VecStats st = train_word2vec({dir / "a.txt"}, o, dir / "v.bin");
  EXPECT_EQ(st.vocab_size, 3);
  EXPECT_EQ(st.corpus_words, 28);
  EXPECT_EQ(read_vectors(dir / "v.bin").words, (Tokens{"the", "cat", "sat"}));

  o.min_count = 13;
  try {
    train_word2vec({dir / "a.txt"}, o, dir / "none.bin");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("min-count"), std::string::npos) << e.what();
  }
}

TEST(Word2VecTrain, WritesTheWord2VecBinaryFormat) {
  TempDir dir;
  write_topics(dir, 2, 3000, 3);
  Word2VecOptions o = small_options();
  o.dim = 10;
  o.epochs = 1;
  const std::string out = (dir.path / "sub" / "vectors.bin").string();  // the folder is created
  train_word2vec({dir / "topic_a.txt", dir / "topic_b.txt"}, o, out);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  const std::string b = read_bytes(out);
  ASSERT_EQ(b.substr(0, 6), "16 10\n");
  const Vectors v = read_vectors(out);  // checks every separator and the exact size
  EXPECT_EQ(v.dim, 10);
  size_t expected = 6;
  for (const auto& w : v.words) expected += w.size() + 1 + 4 * 10 + 1;
  EXPECT_EQ(b.size(), expected);
  for (const auto& x : v.vecs)
    for (float f : x) EXPECT_TRUE(std::isfinite(f));
}

TEST(Word2VecTrain, ErrorsNameTheInput) {
  TempDir dir;
  const std::string missing = dir / "no_such_book.txt";
  try {
    train_word2vec({missing}, small_options(), dir / "v.bin");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_book.txt"), std::string::npos) << e.what();
  }
  write_file(dir / "empty.txt", " -- ... \u2014\n");
  try {
    train_word2vec({dir / "empty.txt"}, small_options(), dir / "v.bin");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("empty.txt"), std::string::npos) << e.what();
  }
  fs::create_directories(dir / "no_text");
  write_file(dir / "no_text/readme.md", "words words words");
  EXPECT_THROW(train_word2vec({dir / "no_text"}, small_options(), dir / "v.bin"), FormatError);
  Word2VecOptions bad = small_options();
  bad.negative = 0;
  write_file(dir / "ok.txt", "some words here");
  EXPECT_THROW(train_word2vec({dir / "ok.txt"}, bad, dir / "v.bin"), UnsupportedError);
  EXPECT_FALSE(fs::exists(dir / "v.bin"));
}

TEST(Word2VecTrain, ReportsWordsPerSecondAndCancels) {
  TempDir dir;
  write_topics(dir, 2, 5000, 4);
  std::vector<std::string> stages;
  train_word2vec({dir.path.string()}, small_options(), dir / "v.bin", [&](float f, const std::string& stage) {
    EXPECT_GE(f, 0.f);
    EXPECT_LE(f, 1.f);
    stages.push_back(stage);
    return true;
  });
  bool rate = false;
  for (const auto& s : stages) rate |= s.find("words/s") != std::string::npos;
  EXPECT_TRUE(rate);

  // Cancelling while reading, before training and during training all throw Cancelled
  // and write nothing.
  Word2VecOptions o = small_options();
  o.epochs = 200;  // long enough to be stopped in the middle
  o.progress_interval = 0.01;
  for (const std::string stop_at : {"reading", "training", "words/s"}) {
    std::vector<float> seen;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_THROW(train_word2vec({dir.path.string()}, o, dir / "c.bin",
                                [&](float f, const std::string& stage) {
                                  seen.push_back(f);
                                  return stage.find(stop_at) == std::string::npos;
                                }),
                 Cancelled);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0) << stop_at;
    if (stop_at == "words/s") {
      EXPECT_LT(seen.back(), 0.5f);
    }
    EXPECT_FALSE(fs::exists(dir / "c.bin"));
    EXPECT_FALSE(fs::exists(dir / "c.bin.tmp"));
  }
}
