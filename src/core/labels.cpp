#include "latent/labels.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <numeric>
#include <unordered_map>
#include <fstream>
#include <regex>

#include "latent/errors.h"

namespace latent {

namespace {

std::vector<std::string> split_csv_line(const std::string& line, const std::string& where) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (quoted) throw FormatError(where + ": a quoted field is not closed");
  out.push_back(cur);
  return out;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

bool as_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

LabelTable LabelTable::read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open the label file");
  LabelTable t;
  t.source_ = path;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    auto fields = split_csv_line(line, path + ": line " + std::to_string(line_no));
    if (t.columns_.empty()) {
      for (auto& f : fields) t.columns_.push_back(trim(f));
      continue;
    }
    if (fields.size() != t.columns_.size())
      throw FormatError(path + ": line " + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                        " fields, the header has " + std::to_string(t.columns_.size()));
    t.cells_.push_back(std::move(fields));
  }
  if (t.columns_.empty()) throw FormatError(path + ": the label file is empty");
  return t;
}

int LabelTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<long> LabelTable::select(const std::string& query) const {
  struct Cond {
    int col;
    std::string op, value;
    std::regex re;
  };
  // Parse: OR of ANDs.
  std::vector<std::vector<Cond>> any;
  auto parts = [](const std::string& s, char sep) {
    std::vector<std::string> v;
    size_t a = 0;
    for (size_t i = 0; i <= s.size(); ++i)
      if (i == s.size() || s[i] == sep) v.push_back(s.substr(a, i - a)), a = i + 1;
    return v;
  };
  for (const std::string& alt : parts(query, '|')) {
    std::vector<Cond> all;
    for (const std::string& raw : parts(alt, '&')) {
      const std::string c = trim(raw);
      if (c.empty()) throw UnsupportedError("query '" + query + "': an empty condition around & or |");
      static const char* ops[] = {"!=", "<=", ">=", "=", "<", ">", "~"};
      size_t pos = std::string::npos;
      std::string op;
      for (const char* o : ops) {
        const size_t p = c.find(o);
        if (p != std::string::npos && (pos == std::string::npos || p < pos || (p == pos && std::string(o).size() > op.size())))
          pos = p, op = o;
      }
      if (pos == std::string::npos)
        throw UnsupportedError("query '" + query + "': '" + c + "' has no comparison (=, !=, <, <=, >, >=, ~)");
      Cond cond;
      const std::string name = trim(c.substr(0, pos));
      cond.col = column(name);
      if (cond.col < 0) {
        std::string known;
        for (const auto& k : columns_) known += (known.empty() ? "" : ", ") + k;
        throw UnsupportedError("query '" + query + "': no column '" + name + "' (columns: " + known + ")");
      }
      cond.op = op;
      cond.value = trim(c.substr(pos + op.size()));
      if (op == "~") {
        try {
          cond.re = std::regex(cond.value);
        } catch (const std::regex_error& e) {
          throw UnsupportedError("query '" + query + "': '" + cond.value + "' is not a valid regular expression");
        }
      }
      all.push_back(std::move(cond));
    }
    any.push_back(std::move(all));
  }
  std::vector<long> out;
  for (long r = 0; r < rows(); ++r) {
    bool match_any = false;
    for (const auto& all : any) {
      bool ok = true;
      for (const auto& c : all) {
        const std::string& v = cells_[r][c.col];
        double a, b;
        const bool numeric = as_number(v, a) && as_number(c.value, b);
        if (c.op == "~") ok = std::regex_search(v, c.re);
        else if (c.op == "=") ok = numeric ? a == b : v == c.value;
        else if (c.op == "!=") ok = numeric ? a != b : v != c.value;
        else if (!numeric) ok = false;
        else if (c.op == "<") ok = a < b;
        else if (c.op == "<=") ok = a <= b;
        else if (c.op == ">") ok = a > b;
        else ok = a >= b;
        if (!ok) break;
      }
      if (ok) {
        match_any = true;
        break;
      }
    }
    if (match_any) out.push_back(r);
  }
  return out;
}

bool is_binary_column(const LabelTable& t, int col) {
  for (long r = 0; r < t.rows(); ++r) {
    const std::string& v = t.cell(r, col);
    if (v != "0" && v != "1" && v != "-1") return false;
  }
  return t.rows() > 0;
}

std::vector<long> rows_for_items(const LabelTable& table, const std::string& labels_path,
                                 const std::vector<std::string>& file_names, long count) {
  std::vector<long> row_of(static_cast<size_t>(std::max(0L, count)));
  const int file_col = table.column("file");
  if (file_col >= 0 && static_cast<long>(file_names.size()) == count) {
    std::unordered_map<std::string, long> by_name;
    for (long r = 0; r < table.rows(); ++r) by_name[table.cell(r, file_col)] = r;
    for (long i = 0; i < count; ++i) {
      const std::string base = std::filesystem::path(file_names[static_cast<size_t>(i)]).filename().string();
      const auto it = by_name.find(base);
      if (it == by_name.end())
        throw UnsupportedError(labels_path + " has no row for " + base + " (its \"file\" column names the images)");
      row_of[static_cast<size_t>(i)] = it->second;
    }
  } else {
    if (table.rows() < count)
      throw UnsupportedError(labels_path + " has " + std::to_string(table.rows()) + " rows but the data has " +
                             std::to_string(count) + " images");
    std::iota(row_of.begin(), row_of.end(), 0L);
  }
  return row_of;
}

std::string labels_path_for(const std::string& data, const std::string& given) {
  if (!given.empty()) return given;
  namespace fs = std::filesystem;
  const fs::path inside = fs::path(data) / "labels.csv";
  const fs::path beside = fs::path(data).lexically_normal().parent_path() / "labels.csv";
  const std::string path = fs::exists(inside) ? inside.string() : beside.string();
  if (!fs::exists(path))
    throw UnsupportedError("no labels: give --labels CSV (looked for " + inside.string() + " and " + beside.string() + ")");
  return path;
}

std::vector<std::vector<int>> binary_labels(const LabelTable& table, const std::string& labels_path,
                                            const std::vector<std::string>& file_names, long count,
                                            std::vector<std::string>& attributes) {
  if (attributes.empty()) {
    for (int c = 0; c < static_cast<int>(table.columns().size()); ++c) {
      const std::string& name = table.columns()[c];
      if (name == "index" || name == "file" || name == "id") continue;
      if (is_binary_column(table, c)) attributes.push_back(name);
    }
    if (attributes.empty())
      throw UnsupportedError(labels_path + " has no column of 0/1 (or -1/1) values to learn");
  }
  std::vector<int> cols;
  for (const auto& a : attributes) {
    const int c = table.column(a);
    if (c < 0) throw UnsupportedError(labels_path + " has no column \"" + a + "\"");
    if (!is_binary_column(table, c)) throw UnsupportedError(labels_path + ": column \"" + a + "\" is not all 0/1 (or -1/1)");
    cols.push_back(c);
  }
  const std::vector<long> row_of = rows_for_items(table, labels_path, file_names, count);
  std::vector<std::vector<int>> out(static_cast<size_t>(count), std::vector<int>(cols.size()));
  for (long i = 0; i < count; ++i)
    for (size_t a = 0; a < cols.size(); ++a)
      out[static_cast<size_t>(i)][a] = table.cell(row_of[static_cast<size_t>(i)], cols[a]) == "1";
  return out;
}

}  // namespace latent
