#pragma once
// Every JSON file the project reads goes through here: malformed text, nesting deeper
// than kMaxJsonDepth, and files that cannot be opened become errors that name the file
// and the line and column, instead of a library exception or a deep recursion.
#include <string>

#include <nlohmann/json.hpp>

namespace latent {

// Deeper than any file we write (sessions nest 5 levels); a hostile file nested
// millions deep would otherwise recurse in dump(), comparisons and destruction.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; `file` names the source in errors (FormatError).
nlohmann::json parse_json_text(const std::string& text, const std::string& file, int max_depth = kMaxJsonDepth);

// Reads and parses the file at `path` (IoError when it cannot be read); `what` says what
// the file is for, in the message ("the session", "the array header").
nlohmann::json read_json_file(const std::string& path, const std::string& what);

// The type of a JSON value in words ("a string", "a number"...), for type errors.
std::string json_type_words(const nlohmann::json& v);

}  // namespace latent
