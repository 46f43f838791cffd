#include "latent/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "latent/errors.h"
#include "latent/model_package.h"

namespace latent {

namespace {

bool is_alpha(unsigned char c) { return std::isalpha(c) || c >= 0x80; }
bool is_alnum(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Curly quotes and dashes to ASCII; drops other non-breaking oddities.
std::string normalise_unicode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = s[i];
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
      const unsigned char d = s[i + 2];
      if (d == 0x98 || d == 0x99) { out += '\''; i += 2; continue; }
      if (d == 0x9C || d == 0x9D) { out += '"'; i += 2; continue; }
      if (d == 0x93 || d == 0x94) { out += "--"; i += 2; continue; }
      if (d == 0xA6) { out += "..."; i += 2; continue; }
    }
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      out += ' ';
      ++i;
      continue;
    }
    if (c == '\r' || c == '\t') { out += ' '; continue; }
    out += static_cast<char>(c);
  }
  return out;
}

std::string collapse_spaces(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  for (char c : s) {
    if (c == ' ' || c == '\n') {
      if (!space) out += ' ';
      space = true;
    } else {
      out += c;
      space = false;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

const std::unordered_set<std::string>& abbreviations() {
  static const std::unordered_set<std::string> a = {
      "mr", "mrs", "ms", "dr", "st", "mme", "mlle", "messrs", "rev", "col", "capt", "gen", "lieut", "sir",
      "prof", "hon", "esq", "jr", "sr", "no", "vol", "chap", "ch", "viz", "vs", "etc", "i.e", "e.g", "mt",
      "ft", "lt", "sgt", "gov", "co", "bros", "jan", "feb", "aug", "sept", "oct", "nov", "dec"};
  return a;
}

// The word (letters and dots) ending just before position `dot`.
std::string word_before(const std::string& s, size_t dot) {
  size_t b = dot;
  while (b > 0 && (is_alpha(s[b - 1]) || s[b - 1] == '.')) --b;
  std::string w = s.substr(b, dot - b);
  for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

}  // namespace

// ------------------------------------------------------------------ splitting

std::vector<std::string> split_paragraphs(const std::string& raw) {
  const std::string text = normalise_unicode(raw);
  std::vector<std::string> out;
  std::string para;
  size_t pos = 0;
  auto flush = [&] {
    std::string p;
    p.reserve(para.size());
    for (size_t i = 0; i < para.size(); ++i) {
      // _italic_ marks: drop underscores that touch a word.
      if (para[i] == '_') continue;
      p += para[i];
    }
    p = collapse_spaces(p);
    if (!p.empty()) out.push_back(p);
    para.clear();
  };
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    bool blank = std::all_of(line.begin(), line.end(), [](char c) { return c == ' '; });
    if (blank) {
      flush();
    } else {
      if (!para.empty()) para += ' ';
      para += line;
    }
    pos = nl + 1;
  }
  flush();
  return out;
}

std::vector<std::string> split_sentences(const std::string& paragraph) {
  const std::string p = collapse_spaces(normalise_unicode(paragraph));
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c != '.' && c != '!' && c != '?') continue;
    // Runs of terminators ("?!", "...").
    size_t j = i;
    while (j + 1 < p.size() && (p[j + 1] == '.' || p[j + 1] == '!' || p[j + 1] == '?')) ++j;
    // Closing quotes and brackets belong to this sentence.
    size_t k = j;
    while (k + 1 < p.size() && (p[k + 1] == '"' || p[k + 1] == '\'' || p[k + 1] == ')' || p[k + 1] == ']')) ++k;
    const bool at_end = k + 1 >= p.size();
    if (!at_end && p[k + 1] != ' ') {
      i = j;
      continue;
    }
    if (c == '.' && j == i) {
      const std::string w = word_before(p, i);
      const bool initial = w.size() == 1 && std::isalpha(static_cast<unsigned char>(w[0])) && i > 0 &&
                           std::isupper(static_cast<unsigned char>(p[i - 1]));
      if (abbreviations().count(w) || initial) {
        i = j;
        continue;
      }
    }
    if (!at_end) {
      // The next sentence should start with a capital, a quote, a digit or a bracket.
      size_t n = k + 2;
      while (n < p.size() && (p[n] == '"' || p[n] == '\'' || p[n] == '(' || p[n] == '[')) ++n;
      if (n < p.size() && std::islower(static_cast<unsigned char>(p[n]))) {
        i = j;
        continue;
      }
    }
    std::string s = p.substr(start, k + 1 - start);
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    if (!s.empty()) out.push_back(s);
    start = k + 1;
    i = k;
  }
  if (start < p.size()) {
    std::string s = p.substr(start);
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// ------------------------------------------------------------------ tokens

std::vector<std::string> tokenize_sentence(const std::string& sentence, std::vector<bool>* capitalised) {
  const std::string s = normalise_unicode(sentence);
  std::vector<std::string> out;
  if (capitalised) capitalised->clear();
  auto push = [&](std::string t, bool cap) {
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back(std::move(t));
    if (capitalised) capitalised->push_back(cap);
  };
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    if (c == ' ' || c == '\n' || c == '_') {
      ++i;
      continue;
    }
    if (is_alnum(c)) {
      size_t j = i;
      // A word: letters/digits with inner hyphens, apostrophes and (for numbers) dots/commas.
      while (j < s.size()) {
        const unsigned char d = s[j];
        if (is_alnum(d)) {
          ++j;
        } else if ((d == '-' || d == '\'') && j + 1 < s.size() && is_alnum(s[j + 1]) && s[j + 1] != '-') {
          ++j;
        } else if ((d == '.' || d == ',') && std::isdigit(static_cast<unsigned char>(s[j - 1])) && j + 1 < s.size() &&
                   std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
          ++j;
        } else {
          break;
        }
      }
      std::string w = s.substr(i, j - i);
      const bool cap = std::isupper(c);
      // Clitics: n't, 's, 're, 've, 'll, 'd, 'm.
      std::string lower = w;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string clitic;
      if (lower.size() > 3 && lower.compare(lower.size() - 3, 3, "n't") == 0) {
        clitic = "n't";
        if (lower == "can't") { push(w.substr(0, 3), cap); push("n't", false); i = j; continue; }
        if (lower == "won't") { push(cap ? "Will" : "will", cap); push("n't", false); i = j; continue; }
        if (lower == "shan't") { push(cap ? "Shall" : "shall", cap); push("n't", false); i = j; continue; }
      } else {
        for (const char* cl : {"'s", "'re", "'ve", "'ll", "'d", "'m"}) {
          const size_t n = std::char_traits<char>::length(cl);
          if (lower.size() > n && lower.compare(lower.size() - n, n, cl) == 0) {
            clitic = cl;
            break;
          }
        }
      }
      if (!clitic.empty()) {
        push(w.substr(0, w.size() - clitic.size()), cap);
        push(clitic, false);
      } else {
        push(w, cap);
      }
      i = j;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      size_t j = i;
      while (j < s.size() && s[j] == '-') ++j;
      push("--", false);
      i = j;
      continue;
    }
    if (c == '.' && i + 2 < s.size() && s[i + 1] == '.' && s[i + 2] == '.') {
      size_t j = i;
      while (j < s.size() && s[j] == '.') ++j;
      push("...", false);
      i = j;
      continue;
    }
    if (c >= 0x80) {  // stray UTF-8 byte outside a word: skip the whole character
      size_t j = i + 1;
      while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
      i = j;
      continue;
    }
    if (std::ispunct(c)) push(std::string(1, static_cast<char>(c)), false);
    ++i;
  }
  return out;
}

std::vector<std::string> tokenize_sentence(const std::string& sentence) { return tokenize_sentence(sentence, nullptr); }

bool is_word_token(const std::string& t) {
  return !t.empty() && (is_alnum(static_cast<unsigned char>(t[0])) || (t[0] == '\'' && t.size() > 1) || t == "n't");
}

// ------------------------------------------------------------------ vocabulary

void Vocabulary::Counts::add(const std::vector<std::string>& toks, const std::vector<bool>& caps) {
  for (size_t i = 0; i < toks.size(); ++i) {
    ++count[toks[i]];
    // Capitals away from the sentence start (and not after an opening quote) mark names.
    const bool start = i == 0 || (i == 1 && toks[0] == "\"") || (i > 0 && (toks[i - 1] == "." || toks[i - 1] == "\""));
    if (start) continue;
    ++mid[toks[i]];
    if (i < caps.size() && caps[i]) ++capitalised[toks[i]];
  }
  tokens += static_cast<int64_t>(toks.size());
}

Vocabulary Vocabulary::build(const Counts& primary, const Counts& secondary, int size, int min_secondary) {
  if (size < kSpecials + 2) throw UnsupportedError("a vocabulary needs at least " + std::to_string(kSpecials + 2) + " entries");
  Vocabulary v;
  v.tokens_ = {"<pad>", "<unk>", "<bos>", "<eos>"};
  std::set<std::string> chosen(v.tokens_.begin(), v.tokens_.end());
  auto sorted = [](const std::unordered_map<std::string, int64_t>& m) {
    std::vector<std::pair<std::string, int64_t>> v(m.begin(), m.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    return v;
  };
  const auto sec = sorted(secondary.count);
  for (size_t i = 0; i < sec.size() && static_cast<int>(i) < size / 3; ++i) {
    if (sec[i].second < min_secondary) break;
    if (chosen.insert(sec[i].first).second) v.tokens_.push_back(sec[i].first);
  }
  for (const auto& [tok, n] : sorted(primary.count)) {
    if (static_cast<int>(v.tokens_.size()) >= size) break;
    if (chosen.insert(tok).second) v.tokens_.push_back(tok);
  }
  // Display forms and counts.
  for (const auto& t : v.tokens_) {
    auto get = [](const std::unordered_map<std::string, int64_t>& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? int64_t{0} : it->second;
    };
    const int64_t n = get(primary.mid, t) + get(secondary.mid, t);
    const int64_t caps = get(primary.capitalised, t) + get(secondary.capitalised, t);
    std::string d = t;
    if (n > 0 && caps * 2 > n && !d.empty()) d[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(d[0])));
    v.display_.push_back(d);
    v.primary_.push_back(get(primary.count, t));
    v.secondary_.push_back(get(secondary.count, t));
  }
  v.primary_total_ = primary.tokens;
  v.secondary_total_ = secondary.tokens;
  v.reindex();
  return v;
}

void Vocabulary::reindex() {
  index_.clear();
  for (size_t i = 0; i < tokens_.size(); ++i) index_.emplace(tokens_[i], static_cast<int>(i));
}

void Vocabulary::save(const std::string& path) const {
  std::ostringstream o;
  o << "# latent-studio vocabulary: id, token, display, primary count, secondary count; totals "
    << primary_total_ << " " << secondary_total_ << "\n";
  for (size_t i = 0; i < tokens_.size(); ++i)
    o << i << '\t' << tokens_[i] << '\t' << display_[i] << '\t' << primary_[i] << '\t' << secondary_[i] << '\n';
  write_file_atomic(path, o.str());
}

Vocabulary Vocabulary::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open the vocabulary file");
  Vocabulary v;
  std::string line;
  long lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1 && line.rfind("#", 0) == 0) {
      const auto p = line.find("totals ");
      if (p != std::string::npos) {
        std::istringstream t(line.substr(p + 7));
        t >> v.primary_total_ >> v.secondary_total_;
      }
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> f;
    size_t s = 0;
    while (true) {
      const size_t tab = line.find('\t', s);
      f.push_back(line.substr(s, tab == std::string::npos ? std::string::npos : tab - s));
      if (tab == std::string::npos) break;
      s = tab + 1;
    }
    if (f.size() < 2) throw FormatError(path + ":" + std::to_string(lineno) + ": expected \"id<TAB>token…\"");
    long id = -1;
    try {
      id = std::stol(f[0]);
    } catch (...) {
    }
    if (id != static_cast<long>(v.tokens_.size()))
      throw FormatError(path + ":" + std::to_string(lineno) + ": id " + f[0] + " out of order (expected " +
                        std::to_string(v.tokens_.size()) + ")");
    v.tokens_.push_back(f[1]);
    v.display_.push_back(f.size() > 2 && !f[2].empty() ? f[2] : f[1]);
    auto num = [&](size_t k) -> int64_t {
      if (f.size() <= k) return 0;
      try {
        return std::stoll(f[k]);
      } catch (...) {
        throw FormatError(path + ":" + std::to_string(lineno) + ": count \"" + f[k] + "\" is not a number");
      }
    };
    v.primary_.push_back(num(3));
    v.secondary_.push_back(num(4));
  }
  if (v.tokens_.size() < kSpecials || v.tokens_[kPad] != "<pad>" || v.tokens_[kUnk] != "<unk>" ||
      v.tokens_[kBos] != "<bos>" || v.tokens_[kEos] != "<eos>")
    throw FormatError(path + ": a vocabulary starts with <pad>, <unk>, <bos>, <eos> (ids 0-3)");
  v.reindex();
  return v;
}

int Vocabulary::id(const std::string& token) const {
  auto it = index_.find(token);
  return it == index_.end() ? kUnk : it->second;
}

const std::string& Vocabulary::token(int id) const {
  static const std::string unk = "<unk>";
  return id >= 0 && id < size() ? tokens_[id] : unk;
}

std::vector<int> Vocabulary::encode(const std::vector<std::string>& toks) const {
  std::vector<int> ids;
  ids.reserve(toks.size());
  for (const auto& t : toks) ids.push_back(id(t));
  return ids;
}

std::string Vocabulary::detokenize(const std::vector<int>& ids) const {
  std::vector<std::string> toks;
  for (int i : ids) {
    if (i == kEos) break;
    if (i == kPad || i == kBos) continue;
    toks.push_back(i >= 0 && i < size() ? display_[i] : "<unk>");
  }
  return detokenize(toks);
}

std::string Vocabulary::detokenize(const std::vector<std::string>& toks) const {
  std::string out;
  bool open_quote = false, seen_quote = false, cap_next = true;
  bool no_space_next = false;
  for (const auto& raw : toks) {
    std::string t = raw;
    auto it = index_.find(t);
    if (it != index_.end() && t == tokens_[it->second]) t = display_[it->second];
    const bool closing = t == "." || t == "," || t == ";" || t == ":" || t == "!" || t == "?" || t == ")" ||
                         t == "]" || t == "n't" || (t.size() > 1 && t[0] == '\'' && is_word_token(t)) || t == "...";
    bool space = !out.empty() && !closing && !no_space_next;
    no_space_next = false;
    if (t == "\"") {
      // A sentence's first quote closes when it follows , . ! ? (the sentence was decoded
      // from inside a quotation); after that, quotes alternate.
      const bool after_end = !seen_quote && !out.empty() && std::strchr(",.!?;", out.back()) != nullptr;
      seen_quote = true;
      if (open_quote || after_end) {
        space = false;
        open_quote = false;
      } else {
        no_space_next = true;
        open_quote = true;
      }
    } else if (t == "(" || t == "[") {
      no_space_next = true;
    } else if (t == "--") {
      space = false;
      no_space_next = true;
    }
    if (t == "i") t = "I";
    if (cap_next && is_word_token(t) && !t.empty() && std::islower(static_cast<unsigned char>(t[0])) && t[0] != '\'') {
      t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
      cap_next = false;
    } else if (is_word_token(t)) {
      cap_next = false;
    }
    if (t == "." || t == "!" || t == "?") cap_next = true;
    if (t == "n't") {
      // The tokenizer's "can n't", "will n't", "shall n't" are written can't, won't, shan't.
      auto ends_with_word = [&](const char* w) {
        const size_t n = std::strlen(w);
        if (out.size() < n) return false;
        for (size_t k = 0; k < n; ++k)
          if (std::tolower(static_cast<unsigned char>(out[out.size() - n + k])) != w[k]) return false;
        return out.size() == n || !std::isalpha(static_cast<unsigned char>(out[out.size() - n - 1]));
      };
      if (ends_with_word("can")) {
        t = "'t";
      } else if (ends_with_word("will")) {
        out.erase(out.size() - 3);  // w|ill -> w + on't
        t = "on't";
      } else if (ends_with_word("shall")) {
        out.erase(out.size() - 2);  // sha|ll -> sha + n't
      }
    }
    if (space) out += ' ';
    out += t;
  }
  // An opening quote with nothing after it is dropped.
  if (open_quote && !out.empty() && out.back() == '"') {
    out.pop_back();
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

// ------------------------------------------------------------------ measures

double corpus_bleu4(const std::vector<std::vector<std::string>>& hyps, const std::vector<std::vector<std::string>>& refs) {
  if (hyps.size() != refs.size()) throw UnsupportedError("BLEU needs one reference per hypothesis");
  double match[4] = {0, 0, 0, 0}, total[4] = {0, 0, 0, 0};
  double hyp_len = 0, ref_len = 0;
  for (size_t s = 0; s < hyps.size(); ++s) {
    const auto& h = hyps[s];
    const auto& r = refs[s];
    hyp_len += static_cast<double>(h.size());
    ref_len += static_cast<double>(r.size());
    for (int n = 1; n <= 4; ++n) {
      std::map<std::vector<std::string>, int> ref_counts;
      for (size_t i = 0; i + n <= r.size(); ++i) ++ref_counts[std::vector<std::string>(r.begin() + i, r.begin() + i + n)];
      std::map<std::vector<std::string>, int> hyp_counts;
      for (size_t i = 0; i + n <= h.size(); ++i) ++hyp_counts[std::vector<std::string>(h.begin() + i, h.begin() + i + n)];
      for (const auto& [g, c] : hyp_counts) {
        auto it = ref_counts.find(g);
        match[n - 1] += std::min(c, it == ref_counts.end() ? 0 : it->second);
        total[n - 1] += c;
      }
    }
  }
  double log_p = 0;
  for (int n = 0; n < 4; ++n) {
    if (match[n] == 0 || total[n] == 0) return 0.0;
    log_p += 0.25 * std::log(match[n] / total[n]);
  }
  const double bp = hyp_len >= ref_len ? 1.0 : std::exp(1.0 - ref_len / std::max(1.0, hyp_len));
  return 100.0 * bp * std::exp(log_p);
}

double novel_likeness(const Vocabulary& v, const std::vector<std::string>& toks) {
  const double V = v.size();
  const double np = static_cast<double>(v.primary_total()) + V, ns = static_cast<double>(v.secondary_total()) + V;
  double sum = 0;
  int n = 0;
  for (const auto& t : toks) {
    if (!is_word_token(t)) continue;
    const int id = v.id(t);
    const double p = (static_cast<double>(v.primary_count(id)) + 1.0) / np;
    const double s = (static_cast<double>(v.secondary_count(id)) + 1.0) / ns;
    sum += std::log(p / s);
    ++n;
  }
  return n ? sum / n : 0.0;
}

std::vector<std::string> content_words(const std::vector<std::string>& toks) {
  static const std::unordered_set<std::string> stop = {
      "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "by", "from", "up", "down",
      "into", "onto", "over", "under", "out", "off", "near", "next", "while", "as", "is", "are", "was", "were", "be",
      "been", "being", "am", "has", "have", "had", "do", "does", "did", "it", "its", "this", "that", "these", "those",
      "there", "here", "he", "she", "they", "we", "you", "i", "him", "her", "them", "us", "me", "his", "their",
      "our", "your", "my", "who", "which", "what", "some", "very", "so", "not", "no", "n't", "'s", "'re", "'ve",
      "'ll", "'d", "'m", "one", "two", "other", "another", "each", "all", "any", "can", "will", "would", "could",
      "should", "shall", "may", "might", "must", "if", "than", "then", "too", "also", "just", "about", "through",
      "around", "behind", "front", "top", "side", "beside", "other", "such", "own", "same", "only", "more", "most"};
  std::vector<std::string> out;
  for (const auto& t : toks)
    if (is_word_token(t) && !stop.count(t)) out.push_back(t);
  return out;
}

std::vector<std::string> tokenize_sentences(const std::vector<std::string>& sentences) {
  std::vector<std::string> out;
  for (const auto& s : sentences)
    for (auto& t : tokenize_sentence(s)) out.push_back(std::move(t));
  return out;
}

std::vector<std::string> content_words_of(const std::vector<std::string>& sentences) {
  return content_words(tokenize_sentences(sentences));
}

double content_kept(const std::vector<std::string>& source, const std::vector<std::string>& output) {
  auto stem = [](std::string w) {
    if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') w.pop_back();
    return w;
  };
  std::unordered_set<std::string> have;
  for (const auto& t : output) have.insert(stem(t));
  std::unordered_set<std::string> want;
  for (const auto& t : content_words(source)) want.insert(stem(t));
  if (want.empty()) return 1.0;
  int kept = 0;
  for (const auto& w : want) kept += have.count(w) ? 1 : 0;
  return static_cast<double>(kept) / static_cast<double>(want.size());
}

std::string normalised_sentence(const std::string& sentence) {
  std::string out;
  for (const auto& t : tokenize_sentence(sentence))
    if (is_word_token(t)) out += (out.empty() ? "" : " ") + t;
  return out;
}

PassageReport measure_passages(const Vocabulary& vocab, const std::vector<std::string>& captions,
                               const std::vector<std::vector<std::string>>& passages, int stock_min) {
  if (captions.size() != passages.size())
    throw UnsupportedError("measuring passages needs one caption per passage (" + std::to_string(captions.size()) +
                           " captions, " + std::to_string(passages.size()) + " passages)");
  PassageReport r;
  r.stock_min = stock_min;
  std::map<std::string, int> in_passages;  // normalised sentence -> passages holding it
  for (size_t i = 0; i < passages.size(); ++i) {
    PassageReport::Passage p;
    p.caption = captions[i];
    p.sentences = passages[i];
    std::set<std::string> seen;
    for (const auto& s : passages[i]) {
      const std::string n = normalised_sentence(s);
      if (!n.empty() && !seen.insert(n).second) ++p.repeated;
    }
    const std::vector<std::string> tokens = tokenize_sentences(passages[i]);
    for (const auto& n : seen) ++in_passages[n];
    p.content_kept = content_kept(tokenize_sentence(captions[i]), tokens);
    p.novel_likeness = novel_likeness(vocab, tokens);
    r.sentences += static_cast<long>(p.sentences.size());
    r.repeated += p.repeated;
    r.passages_with_repeats += p.repeated > 0 ? 1 : 0;
    r.content_kept += p.content_kept;
    r.novel_likeness += p.novel_likeness;
    r.min_content_kept = i == 0 ? p.content_kept : std::min(r.min_content_kept, p.content_kept);
    r.min_novel_likeness = i == 0 ? p.novel_likeness : std::min(r.min_novel_likeness, p.novel_likeness);
    r.passages.push_back(std::move(p));
  }
  if (!passages.empty()) {
    r.content_kept /= static_cast<double>(passages.size());
    r.novel_likeness /= static_cast<double>(passages.size());
  }
  for (const auto& [n, count] : in_passages)
    if (count >= stock_min) r.stock_lines.emplace_back(n, count);
  std::sort(r.stock_lines.begin(), r.stock_lines.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  return r;
}

// ------------------------------------------------------------------ files

std::vector<std::string> text_files(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> in;
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file() && (e.path().extension() == ".txt" || e.path().extension() == ".tsv"))
          in.push_back(e.path().string());
      std::sort(in.begin(), in.end());
      if (in.empty()) throw IoError(p + ": no .txt files in this folder");
      files.insert(files.end(), in.begin(), in.end());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      throw IoError(p + ": no such file or folder");
    }
  }
  return files;
}

std::vector<std::string> read_sentences(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open the text file");
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.find('\0') != std::string::npos) throw FormatError(path + ": this is not a text file (it holds NUL bytes)");
  std::vector<std::string> out;
  const bool tsv = path.size() > 4 && path.compare(path.size() - 4, 4, ".tsv") == 0;
  const bool book = !tsv && text.find("\n\n") != std::string::npos;
  if (book) {
    for (const auto& p : split_paragraphs(text))
      for (auto& s : split_sentences(p)) out.push_back(std::move(s));
    return out;
  }
  std::istringstream lines(text);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (tsv) {
      const auto tab = line.rfind('\t');
      if (first && line.find("caption") != std::string::npos) {  // header row
        first = false;
        continue;
      }
      if (tab != std::string::npos) line = line.substr(tab + 1);
    }
    first = false;
    line = collapse_spaces(normalise_unicode(line));
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> image_captions(const std::string& image_path) {
  namespace fs = std::filesystem;
  const std::string stem = fs::path(image_path).stem().string();
  std::string digits;
  for (char c : stem)
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  if (digits.empty()) return {};
  const long long id = std::stoll(digits.substr(0, 18));
  const fs::path dir = fs::absolute(image_path).parent_path();
  for (const fs::path& tsv : {dir / "captions.tsv", dir.parent_path() / "captions.tsv"}) {
    std::ifstream in(tsv);
    if (!in) continue;
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      const auto t1 = line.find('\t');
      if (t1 == std::string::npos) continue;
      long long row = -1;
      try {
        row = std::stoll(line.substr(0, t1));
      } catch (...) {
        continue;  // header
      }
      if (row != id) continue;
      const auto t2 = line.rfind('\t');
      out.push_back(collapse_spaces(normalise_unicode(line.substr(t2 + 1))));
    }
    if (!out.empty()) return out;
  }
  return {};
}

}  // namespace latent
