// Descriptions of faces generated from their CelebA attributes (face_text.h).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <tuple>

#include "latent/face_text.h"

namespace latent {

namespace {

// One way a feature can be said: the attribute it asserts, the value, the phrases
// ("with ..." phrases or adjectives before the noun) and how salient it is (the chance
// weight of being mentioned when present).
struct Feature {
  const char* attribute;
  int value;
  bool adjective;  // before the noun ("a smiling man"), else after "with"
  double weight;
  std::vector<const char*> phrases;
};

const std::vector<Feature>& features() {
  static const std::vector<Feature> f = {
      {"Smiling", 1, true, 3.0, {"smiling", "grinning", "cheerful", "happy"}},
      {"Smiling", 0, true, 0.6, {"serious", "unsmiling", "stern"}},
      {"Eyeglasses", 1, false, 3.4, {"glasses", "eyeglasses", "spectacles"}},
      {"Eyeglasses", 1, true, 0.6, {"bespectacled"}},
      {"Bald", 1, true, 3.0, {"bald", "bald-headed"}},
      {"Chubby", 1, true, 1.0, {"chubby", "round-faced"}},
      {"Pale_Skin", 1, true, 1.0, {"pale", "pale-skinned", "fair-skinned"}},
      {"Black_Hair", 1, false, 1.4, {"black hair", "dark hair"}},
      {"Black_Hair", 1, true, 0.6, {"dark-haired", "black-haired"}},
      {"Blond_Hair", 1, false, 1.7, {"blond hair", "blonde hair", "fair hair"}},
      {"Blond_Hair", 1, true, 0.8, {"blond", "blonde", "fair-haired"}},
      {"Brown_Hair", 1, false, 1.1, {"brown hair", "light brown hair"}},
      {"Brown_Hair", 1, true, 0.4, {"brown-haired"}},
      {"Gray_Hair", 1, false, 1.7, {"gray hair", "grey hair", "silver hair", "white hair"}},
      {"Gray_Hair", 1, true, 0.8, {"gray-haired", "grey-haired", "white-haired"}},
      {"Wavy_Hair", 1, false, 1.5, {"wavy hair", "curly hair"}},
      {"Straight_Hair", 1, false, 1.0, {"straight hair", "sleek hair"}},
      {"Bangs", 1, false, 1.5, {"bangs", "a fringe"}},
      {"Goatee", 1, false, 2.5, {"a goatee", "a goatee beard"}},
      {"Mustache", 1, false, 2.5, {"a mustache", "a moustache"}},
      {"No_Beard", 0, false, 1.8, {"a beard", "a full beard", "facial hair"}},
      {"No_Beard", 0, true, 0.7, {"bearded"}},
      {"5_o_Clock_Shadow", 1, false, 1.5, {"stubble", "a five o'clock shadow"}},
      {"Sideburns", 1, false, 1.5, {"sideburns", "long sideburns"}},
      {"Wearing_Hat", 1, false, 3.0, {"a hat", "a cap"}},
      {"Wearing_Lipstick", 1, false, 1.5, {"lipstick", "red lips"}},
      {"Heavy_Makeup", 1, false, 1.5, {"heavy makeup", "a lot of make-up"}},
      {"Wearing_Earrings", 1, false, 1.2, {"earrings"}},
      {"Wearing_Necklace", 1, false, 1.0, {"a necklace"}},
      {"Wearing_Necktie", 1, false, 1.5, {"a tie", "a necktie"}},
      {"Mouth_Slightly_Open", 1, false, 1.0, {"an open mouth", "parted lips"}},
      {"Receding_Hairline", 1, false, 1.2, {"a receding hairline"}},
      {"Big_Nose", 1, false, 0.8, {"a big nose", "a large nose"}},
      {"Big_Lips", 1, false, 0.8, {"full lips", "big lips"}},
      {"Bushy_Eyebrows", 1, false, 1.0, {"bushy eyebrows", "thick eyebrows"}},
      {"Arched_Eyebrows", 1, false, 0.8, {"arched eyebrows"}},
      {"Rosy_Cheeks", 1, false, 1.0, {"rosy cheeks", "red cheeks"}},
      {"High_Cheekbones", 1, false, 0.8, {"high cheekbones"}},
      {"Double_Chin", 1, false, 1.0, {"a double chin"}},
      {"Bags_Under_Eyes", 1, false, 0.8, {"bags under the eyes", "tired eyes"}},
      {"Narrow_Eyes", 1, false, 0.8, {"narrow eyes"}},
      {"Pointy_Nose", 1, false, 0.6, {"a pointy nose", "a pointed nose"}},
      {"Oval_Face", 1, false, 0.6, {"an oval face"}},
      {"Eyeglasses", 0, false, 0.3, {"no glasses"}},
  };
  return f;
}

// The subject's words, as the composer draws them (repeats weight the draw).
const std::vector<std::string> kMan = {"man", "man", "man", "guy", "gentleman"};
const std::vector<std::string> kWoman = {"woman", "woman", "woman", "lady", "girl"};
const std::vector<std::string> kYoung = {"young", "young", "youthful"};
const std::vector<std::string> kOlder = {"older", "middle-aged", "old", "elderly"};

const std::array<const char*, 9> kTemplates = {
    "{}", "{}", "a photo of {}", "portrait of {}", "a picture of {}", "close-up of {}", "a face of {}",
    "headshot of {}", "{}, looking at the camera"};

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool starts_with_vowel_sound(const std::string& w) {
  return !w.empty() && std::string("aeiou").find(w[0]) != std::string::npos;
}

}  // namespace

FaceCaption compose_face_caption(const std::vector<std::string>& names, const std::vector<int>& on, std::mt19937& rng,
                                 int max_features, bool plain) {
  FaceCaption out;
  out.asserts.assign(names.size(), -1);
  auto index = [&](const char* a) -> int {
    const auto it = std::find(names.begin(), names.end(), a);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  };
  auto has = [&](const char* a, int value) {
    const int i = index(a);
    return i >= 0 && static_cast<size_t>(i) < on.size() && (on[static_cast<size_t>(i)] != 0) == (value != 0);
  };
  auto assert_value = [&](const char* a, int value) {
    const int i = index(a);
    if (i >= 0) out.asserts[static_cast<size_t>(i)] = static_cast<int8_t>(value);
  };
  std::uniform_real_distribution<double> u(0, 1);

  // The subject: mostly the sex, sometimes with the age.
  const int male = index("Male"), young = index("Young");
  std::string noun = "person";
  if (male >= 0 && u(rng) < 0.92) {
    const bool m = has("Male", 1);
    noun = m ? pick(kMan, rng) : pick(kWoman, rng);
    if (noun == "girl") noun = has("Young", 1) ? "girl" : "woman";
    assert_value("Male", m);
  }
  std::vector<std::string> adjectives;
  if (young >= 0 && u(rng) < 0.45) {
    const bool y = has("Young", 1);
    adjectives.push_back(y ? pick(kYoung, rng) : pick(kOlder, rng));
    assert_value("Young", y);
  } else if (noun == "girl") {
    assert_value("Young", 1);
  }

  // Features present, drawn by salience without replacement.
  std::vector<const Feature*> candidates;
  std::vector<double> weights;
  for (const Feature& f : features()) {
    if (!has(f.attribute, f.value)) continue;
    if (f.value == 0 && std::string(f.attribute) == "No_Beard" && !has("Male", 1)) continue;
    candidates.push_back(&f);
    weights.push_back(f.weight);
  }
  const int want = std::uniform_int_distribution<int>(0, std::max(0, max_features))(rng);
  std::vector<const Feature*> chosen;
  while (static_cast<int>(chosen.size()) < want && !candidates.empty()) {
    std::discrete_distribution<size_t> d(weights.begin(), weights.end());
    const size_t k = d(rng);
    const Feature* f = candidates[k];
    candidates.erase(candidates.begin() + static_cast<long>(k));
    weights.erase(weights.begin() + static_cast<long>(k));
    // One value per attribute (Smiling or serious, not both), one hair colour.
    const bool clash = std::any_of(chosen.begin(), chosen.end(), [&](const Feature* c) {
      const std::string a = c->attribute, b = f->attribute;
      return a == b || (a.find("_Hair") != std::string::npos && b.find("_Hair") != std::string::npos &&
                        a != "Wavy_Hair" && b != "Wavy_Hair" && a != "Straight_Hair" && b != "Straight_Hair");
    });
    if (!clash) chosen.push_back(f);
  }
  std::vector<std::string> with, wearing;
  for (const Feature* f : chosen) {
    assert_value(f->attribute, f->value);
    const std::string phrase = pick(f->phrases, rng);
    const std::string a = f->attribute;
    const bool worn = f->value == 1 && !f->adjective &&
                      (a == "Eyeglasses" || a.rfind("Wearing_", 0) == 0) && phrase != "red lips";
    if (worn && u(rng) < 0.35) wearing.push_back(phrase);  // "a man wearing glasses"
    else (f->adjective ? adjectives : with).push_back(phrase);
  }
  // Hair texture and colour read as one phrase: "wavy blond hair".
  for (size_t i = 0; i < with.size(); ++i)
    for (size_t j = 0; j < with.size(); ++j) {
      if (i == j) continue;
      const std::string& a = with[i];
      const std::string& b = with[j];
      const bool texture = a == "wavy hair" || a == "curly hair" || a == "straight hair" || a == "sleek hair";
      const bool colour = b.size() > 5 && b.compare(b.size() - 5, 5, " hair") == 0 && b != "wavy hair" &&
                          b != "curly hair" && b != "straight hair" && b != "sleek hair";
      if (texture && colour) {
        with[j] = a.substr(0, a.size() - 5) + " " + b;
        with.erase(with.begin() + static_cast<long>(i));
        i = with.size();
        break;
      }
    }

  std::string np;
  for (const auto& a : adjectives) np += (np.empty() ? "" : " ") + a;
  np += (np.empty() ? "" : " ") + noun;
  np = (starts_with_vowel_sound(np) ? "an " : "a ") + np;
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) s += i + 1 == v.size() ? " and " : ", ";
      s += v[i];
    }
    return s;
  };
  if (!with.empty()) np += " with " + join(with);
  if (!wearing.empty()) np += " wearing " + join(wearing);
  if (plain) {
    out.text = np;
  } else if (has("Blurry", 1) && u(rng) < 0.5) {
    out.text = "a blurry photo of " + np;
    assert_value("Blurry", 1);
  } else {
    std::string t = kTemplates[std::uniform_int_distribution<size_t>(0, kTemplates.size() - 1)(rng)];
    t.replace(t.find("{}"), 2, np);
    out.text = t;
  }
  return out;
}

std::vector<std::pair<std::string, int>> attributes_named(const std::string& text) {
  std::string t = " ";
  for (char c : text) t += std::isalnum(static_cast<unsigned char>(c)) || c == '\'' || c == '-' ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : ' ';
  t += " ";
  // Key words, longest first so that "no glasses" wins over "glasses": every phrase the
  // composer says (without its article), its subject and age words, and what a person
  // types that the composer does not say (negations, plurals, short forms).
  static const std::vector<std::tuple<std::string, std::string, int>> cues = [] {
    std::vector<std::tuple<std::string, std::string, int>> c;
    auto add = [&c](std::string word, const std::string& attribute, int value) {
      for (const char* article : {"a ", "an "})
        if (word.rfind(article, 0) == 0) word.erase(0, std::strlen(article));
      const bool known = std::any_of(c.begin(), c.end(), [&](const auto& k) { return std::get<0>(k) == word; });
      if (!known) c.emplace_back(word, attribute, value);
    };
    for (const Feature& f : features())
      for (const char* phrase : f.phrases) add(phrase, f.attribute, f.value);
    for (const auto& w : kMan) add(w, "Male", 1);
    for (const auto& w : kWoman) add(w, "Male", 0);
    for (const auto& w : kYoung) add(w, "Young", 1);
    for (const auto& w : kOlder) add(w, "Young", 0);
    static const std::tuple<const char*, const char*, int> typed[] = {
        {"without glasses", "Eyeglasses", 0}, {"clean-shaven", "No_Beard", 1}, {"no beard", "No_Beard", 1},
        {"without a beard", "No_Beard", 1}, {"not smiling", "Smiling", 0}, {"smile", "Smiling", 1},
        {"men", "Male", 1}, {"male", "Male", 1}, {"boy", "Male", 1}, {"women", "Male", 0}, {"female", "Male", 0},
        {"beard", "No_Beard", 0}, {"goatee", "Goatee", 1}, {"mustache", "Mustache", 1}, {"moustache", "Mustache", 1},
        {"hat", "Wearing_Hat", 1}, {"makeup", "Heavy_Makeup", 1}, {"make-up", "Heavy_Makeup", 1},
        {"wavy", "Wavy_Hair", 1}, {"curly", "Wavy_Hair", 1}, {"straight", "Straight_Hair", 1},
        {"sleek", "Straight_Hair", 1}, {"blurry", "Blurry", 1}};
    for (const auto& [word, attribute, value] : typed) add(word, attribute, value);
    return c;
  }();
  std::vector<std::pair<std::string, int>> out;
  std::vector<std::pair<size_t, size_t>> used;  // spans already read
  std::vector<size_t> order(cues.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::get<0>(cues[a]).size() > std::get<0>(cues[b]).size();
  });
  for (size_t k : order) {
    const std::string cue = " " + std::get<0>(cues[k]) + " ";
    for (size_t at = t.find(cue); at != std::string::npos; at = t.find(cue, at + 1)) {
      const bool overlaps = std::any_of(used.begin(), used.end(), [&](const auto& s) {
        return at + 1 < s.second && s.first < at + cue.size() - 1;
      });
      if (overlaps) continue;
      used.emplace_back(at + 1, at + cue.size() - 1);
      const std::string& name = std::get<1>(cues[k]);
      const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == name; });
      if (!seen) out.emplace_back(name, std::get<2>(cues[k]));
    }
  }
  return out;
}

}  // namespace latent
