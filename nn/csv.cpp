// Datasets from CSV files: a header, feature columns, a label column. Every rejection names the line
// and the column, so a user can find the cell in their own file.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nn/datasets.hpp"

namespace verigrad::nn {

namespace {

constexpr int kMaxClasses = 1000;

std::string trim(const std::string& s) {
  const std::size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const std::size_t end = s.find_last_not_of(" \t");
  std::string t = s.substr(begin, end - begin + 1);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream s(line);
  std::string field;
  while (std::getline(s, field, ',')) fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// The whole field as a double, or nothing.
bool to_number(const std::string& text, double& x) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  x = std::strtod(text.c_str(), &end);
  return *end == '\0';
}

struct Row {
  std::size_t line;
  double label;
};

class Reader {
 public:
  explicit Reader(std::string name) : name_(std::move(name)) {}

  [[noreturn]] void fail(std::size_t line, const std::string& message) const {
    throw std::invalid_argument("line " + std::to_string(line) + ": " + message);
  }
  [[noreturn]] void fail(std::size_t line, std::size_t column, const std::string& message) const {
    throw std::invalid_argument("line " + std::to_string(line) + ", column " + std::to_string(column + 1) +
                                " (" + header_[column] + "): " + message);
  }

  void header(std::size_t line, const std::string& text) {
    header_ = fields_of(text);
    if (header_.size() < 2) {
      fail(line, "the header names " + std::to_string(header_.size()) +
                     " column; at least one feature column and the label column are needed");
    }
    std::size_t numbers = 0;
    for (const std::string& h : header_) {
      double x = 0.0;
      if (to_number(h, x)) ++numbers;
    }
    if (numbers == header_.size()) {
      fail(line, "this looks like data; the first line must be a header naming the columns (x1,x2,label)");
    }
  }

  void row(std::size_t line, const std::string& text) {
    const std::vector<std::string> fields = fields_of(text);
    if (fields.size() != header_.size()) {
      fail(line, std::to_string(fields.size()) + " values, but the header names " +
                     std::to_string(header_.size()) + " columns");
    }
    std::vector<double> x(fields.size() - 1);
    for (std::size_t c = 0; c < fields.size(); ++c) {
      double v = 0.0;
      if (!to_number(fields[c], v)) {
        fail(line, c, fields[c].empty() ? "empty value" : "'" + fields[c] + "' is not a number");
      }
      if (!std::isfinite(v)) fail(line, c, "'" + fields[c] + "' is not a finite number");
      if (c + 1 < fields.size()) x[c] = v;
    }
    const double label = std::strtod(fields.back().c_str(), nullptr);
    const std::size_t last = fields.size() - 1;
    if (label != std::floor(label)) {
      fail(line, last,
           "label '" + fields.back() + "' is not an integer (labels are +1/-1, 0/1 or class indices)");
    }
    if (label < -1.0)
      fail(line, last, "label '" + fields.back() + "' is negative (labels are +1/-1, 0/1 or class indices)");
    if (label >= kMaxClasses) {
      fail(line, last,
           "class index " + fields.back() + " is too large (at most " + std::to_string(kMaxClasses) +
               " classes)");
    }
    data_.X.push_back(std::move(x));
    rows_.push_back({line, label});
  }

  // +1/-1 as soon as a -1 appears; then every label must be +1 or -1.
  Dataset finish(std::size_t last_line) {
    if (rows_.empty()) fail(last_line, "no data rows after the header");
    bool signed_labels = false;
    for (const Row& r : rows_) signed_labels = signed_labels || r.label == -1.0;
    const std::size_t column = header_.size() - 1;
    int top = 1;
    for (const Row& r : rows_) {
      if (signed_labels && r.label != 1.0 && r.label != -1.0) {
        fail(r.line, column,
             "label " + std::to_string(static_cast<int>(r.label)) +
                 " mixed with -1 (labels are +1/-1, 0/1 or class indices, one kind per file)");
      }
      const int label = signed_labels ? (r.label == 1.0 ? 1 : 0) : static_cast<int>(r.label);
      data_.y.push_back(label);
      top = std::max(top, label);
    }
    data_.nin = static_cast<int>(header_.size() - 1);
    data_.nclasses = top + 1;
    data_.name = name_;
    return std::move(data_);
  }

 private:
  std::string name_;
  std::vector<std::string> header_;
  std::vector<Row> rows_;
  Dataset data_;
};

}  // namespace

Dataset parse_csv(const std::string& text, const std::string& name) {
  Reader reader(name);
  std::stringstream lines(text);
  std::string line;
  std::size_t number = 0;
  bool have_header = false;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!have_header) {
      reader.header(number, line);
      have_header = true;
    } else {
      reader.row(number, line);
    }
  }
  if (!have_header) throw std::invalid_argument("empty file: a header row and data rows are expected");
  return reader.finish(number);
}

Dataset load_csv(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::invalid_argument(path + ": cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_csv(text.str(), path);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

}  // namespace verigrad::nn
