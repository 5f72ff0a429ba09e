// Datasets from CSV (nn/datasets.hpp's parse_csv and load_csv): the label kinds, the layout Python's
// csv writers and spreadsheets produce, and every rejection naming its line and column.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "nn/datasets.hpp"

namespace verigrad::nn {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_csv(text, "data.csv");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Csv, SignedLabelsAreTwoClasses) {
  // The lecture's four samples, as a user would save them.
  const Dataset d = parse_csv(
      "x1,x2,x3,y\n2.0,3.0,-1.0,1.0\n3.0,-1.0,0.5,-1.0\n0.5,1.0,1.0,-1.0\n1.0,1.0,-1.0,1.0\n", "toy.csv");
  const Dataset toy = micrograd_toy();
  EXPECT_EQ(d.X, toy.X);
  EXPECT_EQ(d.y, toy.y);
  EXPECT_EQ(d.signed_labels(), toy.signed_labels());
  EXPECT_EQ(d.nin, 3);
  EXPECT_EQ(d.nclasses, 2);
  EXPECT_EQ(d.name, "toy.csv");
}

// Spreadsheets quote cells: "0.5" is the number 0.5, and a quoted header names its column unquoted.
TEST(Csv, QuotedCellsAreTheirContents) {
  const Dataset d = parse_csv("\"x 1\", \"x 2\", \"y\"\n\"0.5\", \"-1\", \"1\"\n2, 3, 0\n", "q.csv");
  EXPECT_EQ(d.X, (std::vector<std::vector<double>>{{0.5, -1.0}, {2.0, 3.0}}));
  EXPECT_EQ(d.y, (std::vector<int>{1, 0}));
  EXPECT_EQ(error_of("\"x1\",\"x2\",\"y\"\n1,\"abc\",1\n"), "line 2, column 2 (x2): 'abc' is not a number");
}

TEST(Csv, ZeroOneLabelsAndClassIndices) {
  Dataset d = parse_csv("a,b,label\n0.5,1,0\n-2,3e-1,1\n", "d");
  EXPECT_EQ(d.y, (std::vector<int>{0, 1}));
  EXPECT_EQ(d.nclasses, 2);
  EXPECT_EQ(d.X[1], (std::vector<double>{-2.0, 0.3}));
  d = parse_csv("x,class\n1,0\n2,2\n3,1\n4,2\n", "d");
  EXPECT_EQ(d.y, (std::vector<int>{0, 2, 1, 2}));
  EXPECT_EQ(d.nclasses, 3);
  EXPECT_EQ(d.nin, 1);
  d = parse_csv("x,y\n1,1\n2,1\n", "d");  // one class present: still a binary problem
  EXPECT_EQ(d.nclasses, 2);
  d = parse_csv("x,y\n1,0\n2,0\n", "d");
  EXPECT_EQ(d.nclasses, 2);
}

// Class indices run up to 999: a thousand classes at most.
TEST(Csv, ClassIndicesUpToTheLimit) {
  const Dataset d = parse_csv("x,y\n1,999\n2,0\n", "d");
  EXPECT_EQ(d.nclasses, 1000);
  EXPECT_EQ(d.y, (std::vector<int>{999, 0}));
  EXPECT_THROW(parse_csv("x,y\n1,1000\n", "d"), std::invalid_argument);
}

TEST(Csv, LayoutToleratesWhatEditorsWrite) {
  const Dataset d = parse_csv("\"x 1\", \"x 2\" ,label\r\n\r\n 1.5 , 2 ,1\r\n3,4,-1\r\n\r\n", "d");
  EXPECT_EQ(d.size(), 2U);
  EXPECT_EQ(d.X[0], (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(d.y, (std::vector<int>{1, 0}));
}

TEST(Csv, BadCellsNameLineAndColumn) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty file: a header row and data rows are expected"},
      {"x,y\n", "line 1: no data rows after the header"},
      {"label\n1\n",
       "line 1: the header names 1 column; at least one feature column and the label column are needed"},
      {"1,2,1\n3,4,-1\n",
       "line 1: this looks like data; the first line must be a header naming the columns (x1,x2,label)"},
      {"x1,x2,y\n1,2,1\n3,4\n", "line 3: 2 values, but the header names 3 columns"},
      {"x1,x2,y\n1,2,1\n3,4,1,5\n", "line 3: 4 values, but the header names 3 columns"},
      {"x1,x2,y\n1,abc,1\n", "line 2, column 2 (x2): 'abc' is not a number"},
      {"x1,x2,y\n1,2x,1\n", "line 2, column 2 (x2): '2x' is not a number"},  // a number, then more
      {"x1,x2,y\n1,,1\n", "line 2, column 2 (x2): empty value"},
      // A trailing comma is one more, empty, cell: the label is missing, not the count of values wrong.
      {"x1,x2,y\n1,2,\n", "line 2, column 3 (y): empty value"},
      {"x1,x2,y\n1,2,3,\n", "line 2: 4 values, but the header names 3 columns"},
      {"x1,x2,y\n1,nan,1\n", "line 2, column 2 (x2): 'nan' is not a finite number"},
      {"x1,x2,y\n1,1e999,1\n", "line 2, column 2 (x2): '1e999' is not a finite number"},
      {"x1,x2,y\n1,2,0.5\n",
       "line 2, column 3 (y): label '0.5' is not an integer (labels are +1/-1, 0/1 or class indices)"},
      {"x1,x2,y\n1,2,-2\n",
       "line 2, column 3 (y): label '-2' is negative (labels are +1/-1, 0/1 or class indices)"},
      {"x1,x2,y\n1,2,yes\n", "line 2, column 3 (y): 'yes' is not a number"},
      {"x1,x2,y\n1,2,1\n\n3,4,-1\n5,6,0\n",
       "line 5, column 3 (y): label 0 mixed with -1 (labels are +1/-1, 0/1 or class indices, one kind per "
       "file)"},
      {"x1,x2,y\n1,2,1000\n", "line 2, column 3 (y): class index 1000 is too large (at most 1000 classes)"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(Csv, FilesAreNamedInErrors) {
  const std::string path = ::testing::TempDir() + "verigrad_csv_test_" + std::to_string(::getpid()) + ".csv";
  std::ofstream(path) << "x1,x2,label\n0.5,1.5,1\n2.5,oops,0\n";
  try {
    load_csv(path);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), path + ": line 3, column 2 (x2): 'oops' is not a number");
  }
  std::ofstream(path) << "x1,x2,label\n0.5,1.5,1\n2.5,3.5,0\n";
  EXPECT_EQ(load_csv(path).size(), 2U);
  EXPECT_EQ(load_csv(path).name, path);
  std::remove(path.c_str());
  EXPECT_THROW(load_csv(path), std::invalid_argument);
  // A directory opens as a stream on Linux and reads as empty: the error must say what it really is.
  try {
    load_csv(::testing::TempDir());
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), ::testing::TempDir() + ": cannot read: is a directory");
  }
}

TEST(Csv, ToyIsADatasetName) {
  const Dataset d = make_dataset("toy", 100, 0.5, 7);  // the lecture's four samples whatever the sizes
  EXPECT_EQ(d.X, micrograd_toy().X);
  EXPECT_EQ(d.name, "toy");
}

}  // namespace
}  // namespace verigrad::nn
