#pragma once
// Training word vectors: skip-gram with negative sampling (Mikolov et al. 2013), with
// frequent-word subsampling and a linearly decaying learning rate, multithreaded.
#include <cstdint>
#include <string>
#include <vector>

#include "latent/types.h"

namespace latent {

struct Word2VecOptions {
  int dim = 100;              // vector size
  int window = 5;             // max skip length (the effective window is drawn in 1..window)
  int negative = 5;           // negative samples per positive pair
  int min_count = 5;          // drop words seen fewer times
  int epochs = 5;             // passes over the corpus
  int threads = 1;            // worker threads
  double sample = 1e-3;       // subsampling threshold for frequent words
  float alpha = 0.025f;       // starting learning rate
  float min_alpha = 0.0001f;  // final learning rate
  uint64_t seed = 1;          // random seed (with threads = 1 the result is reproducible)
  double progress_interval = 1.0;  // seconds between progress reports while training
};

struct Word2VecStats {
  long vocab_size = 0;        // words kept (count >= min_count)
  long corpus_words = 0;      // tokens in the corpus (one pass)
  long trained_words = 0;     // tokens processed over all epochs (before subsampling)
  double seconds = 0;         // training time (excludes reading and vocabulary)
  double words_per_second = 0;
};

// How the corpus is split into words: lower-cased runs of letters, digits and inner
// apostrophes (UTF-8 letters kept as they are). The trainer and its benchmark both use it.
// Curly quotes, dashes and other punctuation and symbols separate words; U+2019 between
// word characters is an apostrophe (written as '); Latin-1 capitals are lower-cased too.
// Sentences for training are each file's tokens in chunks of 1000 (line breaks ignored).
std::vector<std::string> tokenize(const std::string& line);

// Trains on the text files in `corpus` (one or more files or folders of .txt files) and
// writes `out_path` in word2vec's binary format (words by descending frequency).
// Progress reports the share of work done and words/s in the stage text.
Word2VecStats train_word2vec(const std::vector<std::string>& corpus, const Word2VecOptions& options,
                             const std::string& out_path, const ProgressFn& progress = {});

}  // namespace latent
