#include "latent/json_file.h"

#include "latent/errors.h"
#include "latent/file_ops.h"

namespace latent {

namespace {

// 1-based line and column of byte `offset` in `text`.
std::string line_col(const std::string& text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// The offset of the bracket that opens level max_depth + 1, or npos. Brackets inside
// strings do not count; the parser judges everything else afterwards.
size_t too_deep_at(const std::string& text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string::npos;
}

}  // namespace

std::string json_type_words(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "true/false";
    case nlohmann::json::value_t::binary: return "binary data";
    case nlohmann::json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

nlohmann::json parse_json_text(const std::string& text, const std::string& file, int max_depth) {
  const size_t deep = too_deep_at(text, max_depth);
  if (deep != std::string::npos)
    throw FormatError(file + ": JSON nested deeper than " + std::to_string(max_depth) + " levels at " +
                      line_col(text, deep) + " (no Latent Studio file nests that deep; is it the right file?)");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    const auto pos = what.find("syntax error");
    // e.byte is 1-based: the character where parsing stopped.
    throw FormatError(file + ": malformed JSON at " + line_col(text, e.byte ? e.byte - 1 : 0) +
                      (pos != std::string::npos ? " (" + what.substr(pos) + ")" : ""));
  } catch (const nlohmann::json::exception& e) {
    // A number too large for a double (1e999) is an out_of_range, not a parse_error
    // (found by the session fuzzer).
    std::string what = e.what();
    const auto close = what.find("] ");
    throw FormatError(file + ": malformed JSON (" + (close == std::string::npos ? what : what.substr(close + 2)) + ")");
  }
}

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  return parse_json_text(read_whole_file(path, what), path);
}

}  // namespace latent
