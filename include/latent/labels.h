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

// Whether every cell of a column is 0, 1 or -1 (a yes/no attribute; 1 is yes), and the
// table has rows.
bool is_binary_column(const LabelTable& table, int col);

// The table's row for each of `count` dataset items: matched by the table's "file" column
// where it has one and the items are files (`file_names`: each item's path or file name;
// empty for IDX and raw arrays), else by row order. UnsupportedError, naming
// `labels_path`, when an item has no row.
std::vector<long> rows_for_items(const LabelTable& table, const std::string& labels_path,
                                 const std::vector<std::string>& file_names, long count);

// The labels of a dataset: `given` if set, else labels.csv inside the `data` folder, else
// beside it; UnsupportedError naming both places when neither exists.
std::string labels_path_for(const std::string& data, const std::string& given);

// The 0/1 values (1 where the cell is "1") of the `attributes` columns for each of `count`
// items (rows_for_items), a row per item. Empty `attributes`: every 0/1 (or -1/1) column
// but index, file and id, filled in. UnsupportedError naming `labels_path` for a missing or
// non-binary column, or when there is none to take.
std::vector<std::vector<int>> binary_labels(const LabelTable& table, const std::string& labels_path,
                                            const std::vector<std::string>& file_names, long count,
                                            std::vector<std::string>& attributes);

}  // namespace latent
