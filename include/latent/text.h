#pragma once
// Text for sentence spaces: splitting plain-text books into sentences, a tokenizer,
// a vocabulary saved with the model, and the measures the storyteller reports
// (BLEU-4, novel-likeness, content kept). No LibTorch here.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace latent {

// ------------------------------------------------------------------ splitting

// A book's paragraphs (blank-line separated; hard line wraps joined), with
// Gutenberg's _italics_ marks dropped, curly quotes made straight and runs of
// spaces collapsed.
std::vector<std::string> split_paragraphs(const std::string& text);

// Sentences of one paragraph. A sentence ends at . ! ? (or …) followed by space and
// not after a known abbreviation (Mr. Mrs. Dr. St. …) or a single initial; closing
// quotes and brackets stay with the sentence they close.
std::vector<std::string> split_sentences(const std::string& paragraph);

// ------------------------------------------------------------------ tokens

// Lower-cased tokens: words (with inner hyphens and apostrophes), numbers, and each
// punctuation mark on its own; "n't" and the clitics 's 're 've 'll 'd 'm split off
// ("don't" -> do n't, "Emma's" -> emma 's); "--" is one token.
std::vector<std::string> tokenize_sentence(const std::string& sentence);

// As tokenize, plus for each token whether it was written with a capital first
// letter (for the vocabulary's display forms).
std::vector<std::string> tokenize_sentence(const std::string& sentence, std::vector<bool>* capitalised);

// True for tokens that are words or numbers (not punctuation).
bool is_word_token(const std::string& token);

// ------------------------------------------------------------------ vocabulary

class Vocabulary {
 public:
  static constexpr int kPad = 0, kUnk = 1, kBos = 2, kEos = 3, kSpecials = 4;

  // Counts of one corpus: per token, how often, how often away from the start of a
  // sentence, and how often capitalised there (names keep their capital in display).
  struct Counts {
    std::unordered_map<std::string, int64_t> count, capitalised, mid;  // mid: not at a sentence start
    int64_t tokens = 0;
    void add(const std::vector<std::string>& tokens, const std::vector<bool>& caps);
  };

  // The `size` most useful tokens (specials included): first every token seen at
  // least `min_secondary` times in the secondary corpus (captions) that ranks in its
  // top `size / 3`, then the primary corpus's (novels') most frequent.
  static Vocabulary build(const Counts& primary, const Counts& secondary, int size, int min_secondary = 3);

  // vocab.tsv: "id<TAB>token<TAB>display<TAB>primary count<TAB>secondary count" per
  // line, with a header; ids are 0..size-1 in order.
  void save(const std::string& path) const;
  static Vocabulary load(const std::string& path);

  int size() const { return static_cast<int>(tokens_.size()); }
  int id(const std::string& token) const;  // kUnk when unknown
  const std::string& token(int id) const;
  std::vector<int> encode(const std::vector<std::string>& tokens) const;
  // Tokens -> readable text: punctuation and clitics attached, quotes paired,
  // sentence starts, "i" and names capitalised (by display form).
  std::string detokenize(const std::vector<int>& ids) const;
  std::string detokenize(const std::vector<std::string>& tokens) const;

  int64_t primary_count(int id) const { return primary_[id]; }
  int64_t secondary_count(int id) const { return secondary_[id]; }
  int64_t primary_total() const { return primary_total_; }
  int64_t secondary_total() const { return secondary_total_; }

 private:
  std::vector<std::string> tokens_, display_;
  std::vector<int64_t> primary_, secondary_;
  int64_t primary_total_ = 0, secondary_total_ = 0;
  std::unordered_map<std::string, int> index_;
  void reindex();
};

// ------------------------------------------------------------------ measures

// Corpus BLEU-4 (uniform weights, brevity penalty) of hypotheses against one
// reference each, 0..100. No smoothing: a corpus with no 4-gram match scores 0.
double corpus_bleu4(const std::vector<std::vector<std::string>>& hypotheses,
                    const std::vector<std::vector<std::string>>& references);

// Novel-likeness: mean over word tokens of log(P_primary(w) / P_secondary(w)), from the
// vocabulary's training counts with add-one smoothing; out-of-vocabulary words count
// as unknown. Real novel sentences score about +2.4, captions about -2.
double novel_likeness(const Vocabulary& vocab, const std::vector<std::string>& tokens);

// Content words of a sentence: word tokens that are not in a short English stop
// list (articles, pronouns, auxiliaries, prepositions, conjunctions).
std::vector<std::string> content_words(const std::vector<std::string>& tokens);
// The tokens of each sentence, in order (a passage's words).
std::vector<std::string> tokenize_sentences(const std::vector<std::string>& sentences);
// The content words of each sentence (tokenized), in order: what a passage told from
// these captions should keep (PassageOptions::keep_words).
std::vector<std::string> content_words_of(const std::vector<std::string>& sentences);
// Share of `source`'s content words (lemmatised crudely: a trailing "s" dropped) that
// occur in `output`. 1 when the source has none.
double content_kept(const std::vector<std::string>& source, const std::vector<std::string>& output);

// A sentence as compared across passages: its word tokens, lower case, one space apart
// (punctuation and quotes dropped), so that `"No," she said.` and `No, she said!` match.
std::string normalised_sentence(const std::string& sentence);

// Measures of passages told from captions (latent eval-text --passages): passage i was
// told from captions[i].
struct PassageReport {
  struct Passage {
    std::string caption;
    std::vector<std::string> sentences;
    int repeated = 0;           // sentences that repeat an earlier one of the same passage (normalised)
    double content_kept = 0;    // share of the caption's content words found anywhere in the passage
    double novel_likeness = 0;  // over all the passage's words
  };
  std::vector<Passage> passages;
  int stock_min = 3;
  // Normalised sentences found in `stock_min` or more passages, with their passage count.
  std::vector<std::pair<std::string, int>> stock_lines;
  long sentences = 0, repeated = 0, passages_with_repeats = 0;
  double content_kept = 0, novel_likeness = 0;  // means over passages
  double min_content_kept = 0, min_novel_likeness = 0;
};
PassageReport measure_passages(const Vocabulary& vocab, const std::vector<std::string>& captions,
                               const std::vector<std::vector<std::string>>& passages, int stock_min = 3);

// ------------------------------------------------------------------ files

// Files of text named by paths: a folder gives its .txt and .tsv files, sorted; a file
// is itself. A missing path, or a folder without such files, is an IoError.
std::vector<std::string> text_files(const std::vector<std::string>& paths);

// Sentences of a file: a book (.txt with paragraphs) is split; a caption file (one
// caption per line, or a .tsv whose last column is the caption) gives one per line.
std::vector<std::string> read_sentences(const std::string& path);

// Captions that come with an image: rows of a captions.tsv (image_id, caption_id,
// caption, as COCO's) in the image's folder or the one above, whose image_id is the
// number in the image's file name (000000000790.jpg -> 790). Empty when none match.
std::vector<std::string> image_captions(const std::string& image_path);

}  // namespace latent
