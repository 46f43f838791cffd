#pragma once
// Label tables (CSV with a header row), and queries over their columns such as
// "glasses=1 & female=0" or "person~^George" (regular expression).
#include <string>
#include <vector>

namespace latent {

class LabelTable {
 public:
  // Reads a CSV file: a header row, then one row per item (quoted fields allowed).
  static LabelTable read_csv(const std::string& path);

  const std::vector<std::string>& columns() const { return columns_; }
  long rows() const { return static_cast<long>(cells_.size()); }
  int column(const std::string& name) const;  // -1 if absent
  const std::string& cell(long row, int col) const { return cells_[row][col]; }

  // Rows matching a query: comparisons `col=v`, `col!=v`, `col<v`, `col<=v`, `col>v`,
  // `col>=v` (numeric when both sides are numbers), `col~regex`, joined by `&` (and)
  // and `|` (or; binds looser than &). Errors name the offending part.
  std::vector<long> select(const std::string& query) const;

 private:
  std::string source_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> cells_;
};

}  // namespace latent
