// nn::save / nn::load: bit-exact round trips and clear errors for damaged files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "nn/mlp.hpp"

namespace verigrad::nn {
namespace {

// The pid keeps two suites run at once (CI beside scripts/coverage) from sharing a file.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "verigrad_" + std::to_string(::getpid()) + "_" + name;
}

std::string expect_error(const std::string& text) {
  std::istringstream is(text);
  try {
    read_model(is, "m.txt");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(Serialize, RoundTripIsBitExactWithArchitecture) {
  MLPOptions options;
  options.hidden = Activation::Tanh;
  options.output = Activation::Sigmoid;
  options.seed = 7;
  MLP model(3, {5, 4, 2}, options);
  model.parameters()[0].data() = 0.1;      // not a dyadic fraction: decimal printing would round it
  model.parameters()[1].data() = -5e-324;  // subnormal
  const std::string path = temp_path("roundtrip.txt");
  save(model, path);
  const MLP loaded = load(path);
  EXPECT_EQ(loaded.to_string(), model.to_string());
  EXPECT_EQ(loaded.activations(), model.activations());
  const std::vector<Value> a = model.parameters(), b = loaded.parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a[i].data(), y = b[i].data();
    EXPECT_EQ(std::memcmp(&x, &y, sizeof(double)), 0) << "parameter " << i;
  }
  EXPECT_EQ(model({0.3, -0.2, 0.9})[1].data(), loaded({0.3, -0.2, 0.9})[1].data());
  std::remove(path.c_str());
}

TEST(Serialize, SaveReplacesAtomicallyAndLeavesNoTemporary) {
  const std::string path = temp_path("atomic.txt");
  save(MLP(2, {3, 1}), path);
  save(MLP(2, {4, 1}), path);
  EXPECT_EQ(load(path).nouts(), (std::vector<int>{4, 1}));
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());
  std::remove(path.c_str());
}

TEST(Serialize, UnwritablePathNamesThePath) {
  try {
    save(MLP(2, {1}), "/nonexistent-dir/model.txt");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/model.txt"), std::string::npos) << e.what();
  }
}

TEST(Serialize, MissingFile) { EXPECT_THROW(load(temp_path("does-not-exist.txt")), std::runtime_error); }

TEST(Serialize, WrongMagicOrVersion) {
  EXPECT_EQ(expect_error("hello\n"),
            "model file 'm.txt': line 1: not a verigrad model (expected 'verigrad-mlp 1')");
  EXPECT_EQ(expect_error("verigrad-mlp 2\n"),
            "model file 'm.txt': line 1: unsupported format version '2' (this verigrad reads 1)");
  EXPECT_EQ(expect_error(""), "model file 'm.txt': line 0: not a verigrad model (expected 'verigrad-mlp 1')");
}

TEST(Serialize, TruncatedFile) {
  std::ostringstream os;
  write_model(os, MLP(2, {3, 1}));
  const std::string full = os.str();
  // Cut after every line but the last: each must fail, never load a partial model.
  std::size_t pos = 0;
  int cuts = 0;
  while ((pos = full.find('\n', pos + 1)) != std::string::npos && pos + 1 < full.size()) {
    EXPECT_FALSE(expect_error(full.substr(0, pos + 1)).empty());
    ++cuts;
  }
  EXPECT_EQ(cuts, 9);  // magic, comment, nin, layer, 3 neurons, layer, neuron; then `end` is missing
}

TEST(Serialize, CorruptedNumbersAndCounts) {
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0x1p+0 zz\nend 2\n"),
            "model file 'm.txt': line 4: bad number 'zz'");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0x1p+0 1e999\nend 2\n"),
            "model file 'm.txt': line 4: bad number '1e999'");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0x1p+0\nend 2\n"),
            "model file 'm.txt': line 4: expected a bias and 1 weights, found 1 numbers");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0 1\nend 3\n"),
            "model file 'm.txt': line 5: parameter count '3' does not match the 2 read (corrupted?)");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 swish\nneuron 0 1\nend 2\n").substr(0, 44),
            "model file 'm.txt': line 3: unknown activati");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0x1p+0 inf\nend 2\n"),
            "model file 'm.txt': line 4: bad number 'inf'");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 2000000 relu\n"),
            "model file 'm.txt': line 3: bad count '2000000' (expected 1 to 1048576)");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin -3\n"),
            "model file 'm.txt': line 2: bad count '-3' (expected 1 to 1048576)");
  EXPECT_EQ(expect_error("verigrad-mlp 1\nnin 1\nlayer 1 relu\nneuron 0 1\nend 2\nextra\n"),
            "model file 'm.txt': line 6: unexpected 'extra' after 'end'");
}

// The documented format: numbers as C99 hex floats, bias first.
TEST(Serialize, NumbersAreHexFloats) {
  const MLP model({Layer({Neuron({0.1, -2.0}, 0.5)})});
  std::ostringstream os;
  write_model(os, model);
  EXPECT_NE(os.str().find("\nneuron 0x1p-1 0x1.999999999999ap-4 -0x1p+1\n"), std::string::npos) << os.str();
}

}  // namespace
}  // namespace verigrad::nn
