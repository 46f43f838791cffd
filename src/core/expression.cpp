#include "latent/expression.h"

#include <glob.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"

namespace latent {

namespace {

// The characters of a name after '@'.
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

struct Token {
  enum Kind { Number, Name, Ident, String, Op, End } kind;
  std::string text;
  double number = 0;
  size_t col = 0;  // 1-based
};

std::vector<Token> lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  auto fail = [&](size_t col, const std::string& why) {
    throw UnsupportedError("in '" + s + "' at column " + std::to_string(col) + ": " + why);
  };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      char* end = nullptr;
      const double v = std::strtod(s.c_str() + i, &end);
      const size_t n = static_cast<size_t>(end - (s.c_str() + i));
      out.push_back({Token::Number, s.substr(i, n), v, i + 1});
      i += n;
    } else if (c == '@') {
      size_t j = i + 1;
      while (j < s.size() && is_name_char(s[j])) ++j;
      if (j == i + 1) fail(i + 1, "'@' needs a name after it");
      out.push_back({Token::Name, s.substr(i + 1, j - i - 1), 0, i + 1});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::Ident, s.substr(i, j - i), 0, i + 1});
      i = j;
    } else if (c == '"' || c == '\'') {
      const size_t j = s.find(c, i + 1);
      if (j == std::string::npos) fail(i + 1, "the string is not closed");
      out.push_back({Token::String, s.substr(i + 1, j - i - 1), 0, i + 1});
      i = j + 1;
    } else if (std::string("+-*/(),").find(c) != std::string::npos) {
      out.push_back({Token::Op, std::string(1, c), 0, i + 1});
      ++i;
    } else {
      fail(i + 1, std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Token::End, "", 0, s.size() + 1});
  return out;
}

struct Value {
  bool scalar = false;
  double s = 0;
  Latent v;
};

class Parser {
 public:
  Parser(const std::string& src, const ExpressionEnv& env, int dim) : src_(src), toks_(lex(src)), env_(env), dim_(dim) {}

  Latent run() {
    Value v = expr();
    if (peek().kind != Token::End) fail(peek(), "expected + or - here");
    if (v.scalar) fail(toks_.front(), "the expression is a number, not a point");
    return v.v;
  }

 private:
  [[noreturn]] void fail(const Token& t, const std::string& why) const {
    const std::string tok = t.kind == Token::End ? "end" : (t.kind == Token::Name ? "@" : "") + t.text;
    throw UnsupportedError("in '" + src_ + "' at column " + std::to_string(t.col) + " ('" + tok + "'): " + why);
  }
  static constexpr int kMaxDepth = 200;
  int depth_ = 0;
  const Token& peek() const { return toks_[pos_]; }
  const Token& next() { return toks_[pos_++]; }
  bool accept(const char* op) {
    if (peek().kind == Token::Op && peek().text == op) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(const char* op) {
    if (!accept(op)) fail(peek(), std::string("expected '") + op + "'");
  }

  Value combine(const Token& at, Value a, Value b, char op) {
    if (op == '+' || op == '-') {
      if (a.scalar != b.scalar) fail(at, "cannot add a number and a point");
      if (a.scalar) return {true, op == '+' ? a.s + b.s : a.s - b.s, {}};
      for (size_t k = 0; k < a.v.size(); ++k) a.v[k] = op == '+' ? a.v[k] + b.v[k] : a.v[k] - b.v[k];
      return a;
    }
    if (op == '*') {
      if (!a.scalar && !b.scalar) fail(at, "cannot multiply two points (scale one by a number)");
      if (a.scalar && b.scalar) return {true, a.s * b.s, {}};
      Value p = a.scalar ? b : a;
      const double f = a.scalar ? a.s : b.s;
      for (float& x : p.v) x = static_cast<float>(x * f);
      return p;
    }
    // '/'
    if (!b.scalar) fail(at, "can only divide by a number");
    if (b.s == 0) fail(at, "division by zero");
    if (a.scalar) return {true, a.s / b.s, {}};
    for (float& x : a.v) x = static_cast<float>(x / b.s);
    return a;
  }

  Value expr() {
    Value v = term();
    for (;;) {
      const Token& t = peek();
      if (accept("+")) v = combine(t, v, term(), '+');
      else if (accept("-")) v = combine(t, v, term(), '-');
      else return v;
    }
  }
  Value term() {
    Value v = unary();
    for (;;) {
      const Token& t = peek();
      if (accept("*")) v = combine(t, v, unary(), '*');
      else if (accept("/")) v = combine(t, v, unary(), '/');
      else return v;
    }
  }
  Value unary() {
    // Every nesting ("(", "-", a function's arguments) comes through here: a limit keeps
    // a pasted "((((...." from overflowing the stack (found by the expression fuzzer).
    struct Depth {
      int& d;
      explicit Depth(int& depth) : d(++depth) {}
      ~Depth() { --d; }
    } depth(depth_);
    if (depth_ > kMaxDepth) fail(peek(), "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (accept("-")) {
      Value v = unary();
      if (v.scalar) v.s = -v.s;
      for (float& x : v.v) x = -x;
      return v;
    }
    return primary();
  }
  Value point(const Token& t, Latent z) {
    if (static_cast<int>(z.size()) != dim_)
      fail(t, "has " + std::to_string(z.size()) + " values, the model has " + std::to_string(dim_) + " dimensions");
    return {false, 0, std::move(z)};
  }
  std::vector<Latent> group_of(const Token& t) {
    std::vector<Latent> g;
    if (!env_.group(t.text, g)) fail(t, "no group named '" + t.text + "'" + known());
    if (g.empty()) fail(t, "the group '" + t.text + "' is empty");
    return g;
  }
  std::string known() const {
    std::string out;
    for (const auto& n : env_.names()) out += (out.empty() ? "" : ", ") + ("@" + n);
    return out.empty() ? " (none are defined)" : " (known: " + out + ")";
  }
  std::string string_arg() {
    const Token& t = next();
    if (t.kind != Token::String) fail(t, "expected a quoted file name");
    return t.text;
  }
  Value primary() {
    const Token& t = next();
    switch (t.kind) {
      case Token::Number:
        return {true, t.number, {}};
      case Token::Name: {
        Latent z;
        if (env_.point(t.text, z)) return point(t, std::move(z));
        std::vector<Latent> g;
        if (env_.group(t.text, g) && !g.empty()) return point(t, mean(g));
        fail(t, "no point or group named '" + t.text + "'" + known());
      }
      case Token::Ident: {
        const std::string f = t.text;
        expect("(");
        Value out;
        if (f == "mean") {
          const Token& a = peek();
          if (a.kind == Token::Name) {
            next();
            out = point(a, mean(group_of(a)));
          } else if (a.kind == Token::String) {
            next();
            std::vector<Latent> zs;
            try {
              zs = env_.encode_glob(a.text);
            } catch (const Error& e) {
              fail(a, e.what());
            }
            if (zs.empty()) fail(a, "no file matches \"" + a.text + "\"");
            out = point(a, mean(zs));
          } else {
            fail(a, "mean() takes a group (@name) or a quoted glob (\"faces/*.png\")");
          }
        } else if (f == "lerp" || f == "slerp") {
          Value a = expr();
          expect(",");
          Value b = expr();
          expect(",");
          Value tt = expr();
          if (a.scalar || b.scalar || !tt.scalar) fail(t, f + "(a, b, t) takes two points and a number");
          out = {false, 0, f == "lerp" ? lerp(a.v, b.v, static_cast<float>(tt.s)) : slerp(a.v, b.v, static_cast<float>(tt.s))};
        } else if (f == "norm") {
          // norm(v, r): v scaled to length r (a prior N(0, I) in D dimensions puts its
          // points near length sqrt(D); a mean of several points lies well inside).
          Value a = expr();
          expect(",");
          Value r = expr();
          if (a.scalar || !r.scalar) fail(t, "norm(v, r) takes a point and a length");
          double len = 0;
          for (float x : a.v) len += static_cast<double>(x) * x;
          len = std::sqrt(len);
          if (len == 0) fail(t, "norm() of the zero point has no direction");
          out = {false, 0, a.v};
          for (float& x : out.v) x = static_cast<float>(x * r.s / len);
        } else if (f == "enc") {
          const Token& a = peek();
          const std::string path = string_arg();
          try {
            out = point(a, env_.encode_file(path));
          } catch (const Error& e) {
            fail(a, e.what());
          }
        } else if (f == "z") {
          const Token& a = peek();
          const std::string path = string_arg();
          try {
            out = point(a, read_latent_json(path));
          } catch (const Error& e) {
            fail(a, e.what());
          }
        } else if (f == "item") {
          const Token& a = next();
          // Above 2^53 the conversion to long could be undefined (found by the fuzzer).
          if (a.kind != Token::Number || a.number < 0 || a.number != std::floor(a.number) || a.number > 9007199254740992.0)
            fail(a, "item() takes a dataset index (0, 1, ...)");
          try {
            out = point(a, env_.item(static_cast<long>(a.number)));
          } catch (const Error& e) {
            fail(a, e.what());
          }
        } else if (f == "dir") {
          const Token& a = next();
          if (a.kind != Token::String) fail(a, "dir() takes a quoted direction name, e.g. dir(\"Eyeglasses\")");
          try {
            out = point(a, env_.direction(a.text));
          } catch (const Error& e) {
            fail(a, e.what());
          }
        } else {
          fail(t, "unknown function '" + f + "' (known: mean, lerp, slerp, norm, enc, z, item, dir)");
        }
        expect(")");
        return out;
      }
      case Token::Op:
        if (t.text == "(") {
          Value v = expr();
          expect(")");
          return v;
        }
        fail(t, "expected a point, a number or '('");
      case Token::String:
        fail(t, "a file name must be inside enc(...), z(...) or mean(...)");
      case Token::End:
        fail(t, "the expression ends too early");
    }
    fail(t, "unexpected token");
  }

  std::string src_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  const ExpressionEnv& env_;
  int dim_;
};

}  // namespace

std::string expression_name(std::string name) {
  for (char& c : name)
    if (!is_name_char(c)) c = '_';
  return name;
}

Latent evaluate_expression(const std::string& expr, const ExpressionEnv& env, int dim) {
  return Parser(expr, env, dim).run();
}

bool SpaceExpressionEnv::point(const std::string& name, Latent& out) const {
  for (const auto& [n, z] : points_)
    if (n == name) return out = z, true;
  return false;
}

bool SpaceExpressionEnv::group(const std::string& name, std::vector<Latent>& out) const {
  for (const auto& [n, zs] : groups_)
    if (n == name) return out = zs, true;
  return false;
}

Latent SpaceExpressionEnv::encode_file(const std::string& path) const {
  const auto& s = space_.info().observation;
  return space_.encode(convert_image(load_image(path), s.width, s.height, s.channels));
}

std::vector<Latent> SpaceExpressionEnv::encode_glob(const std::string& pattern) const {
  glob_t g{};
  std::vector<Latent> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(encode_file(g.gl_pathv[i]));
  }
  globfree(&g);
  return out;
}

Latent SpaceExpressionEnv::item(long index) const {
  if (!items_ || items_->rows() == 0) throw UnsupportedError("no dataset is loaded (give one with --data)");
  if (index >= items_->rows()) throw UnsupportedError("the dataset has " + std::to_string(items_->rows()) + " items");
  return row_latent(*items_, index);
}

Latent ExpressionEnv::direction(const std::string& name) const {
  throw UnsupportedError("dir(\"" + name + "\"): no named directions are at hand here");
}

Latent SpaceExpressionEnv::direction(const std::string& name) const {
  const std::string path = directions_file_.empty() ? directions_path(space_.info()) : directions_file_;
  if (path.empty() || !std::filesystem::exists(path))
    throw UnsupportedError("dir(\"" + name + "\"): " + space_.info().name +
                           " has no directions.json yet (make one with `latent directions MODEL`)");
  const DirectionSet set = read_directions(path);
  check_directions(set, space_.info(), path);
  return set.at(name).unit;
}

std::vector<std::string> SpaceExpressionEnv::names() const {
  std::vector<std::string> out;
  for (const auto& p : points_) out.push_back(p.first);
  for (const auto& g : groups_) out.push_back(g.first);
  return out;
}

}  // namespace latent
