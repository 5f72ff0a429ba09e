#include "nn/serialize.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace verigrad::nn {

namespace {

std::string hex(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", x);
  return buf;
}

// Reads records line by line, keeping the line number for error messages.
class Reader {
 public:
  Reader(std::istream& is, std::string source) : is_(is), source_(std::move(source)) {}

  // The next record's words; false at end of input.
  bool next(std::vector<std::string>& words) {
    std::string line;
    while (std::getline(is_, line)) {
      ++line_;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);
      words.clear();
      for (std::string w; ss >> w;) words.push_back(w);
      if (!words.empty()) return true;
    }
    return false;
  }

  std::vector<std::string> expect(const std::string& keyword) {
    std::vector<std::string> words;
    if (!next(words)) fail("file ends early (truncated?): expected '" + keyword + "'");
    if (words[0] != keyword) fail("expected '" + keyword + "', found '" + words[0] + "'");
    return words;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("model file '" + source_ + "': line " + std::to_string(line_) + ": " + what);
  }

  double number(const std::string& word) const {
    errno = 0;
    char* end = nullptr;
    const double x = std::strtod(word.c_str(), &end);
    if (word.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x))
      fail("bad number '" + word + "'");
    return x;
  }

  int count(const std::string& word, int lo, int hi) const {
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(word.c_str(), &end, 10);
    if (word.empty() || *end != '\0' || errno != 0 || n < lo || n > hi) {
      fail("bad count '" + word + "' (expected " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    }
    return static_cast<int>(n);
  }

 private:
  std::istream& is_;
  std::string source_;
  int line_ = 0;
};

Activation activation_at(const Reader& r, const std::string& name) {
  try {
    return parse_activation(name);
  } catch (const std::invalid_argument& e) {
    r.fail(e.what());
  }
}

Layer read_layer(Reader& r, const std::vector<std::string>& header, int nin) {
  if (header.size() != 3) r.fail("expected 'layer WIDTH ACTIVATION'");
  const int width = r.count(header[1], 1, 1 << 20);
  const Activation act = activation_at(r, header[2]);
  std::vector<Neuron> neurons;
  for (int i = 0; i < width; ++i) {
    const std::vector<std::string> words = r.expect("neuron");
    if (words.size() != static_cast<std::size_t>(nin) + 2) {
      r.fail("expected a bias and " + std::to_string(nin) + " weights, found " +
             std::to_string(words.size() - 1) + " numbers");
    }
    std::vector<double> w;
    for (std::size_t k = 2; k < words.size(); ++k) w.push_back(r.number(words[k]));
    neurons.emplace_back(w, r.number(words[1]), act);
  }
  return Layer(std::move(neurons));
}

}  // namespace

void write_model(std::ostream& os, const MLP& model) {
  os << "verigrad-mlp " << kModelFormatVersion << "\n";
  os << "# " << model.to_string() << "\n";
  os << "nin " << model.nin() << "\n";
  for (const Layer& layer : model.layers()) {
    os << "layer " << layer.nout() << " " << to_string(layer.activation()) << "\n";
    for (const Neuron& n : layer.neurons()) {
      os << "neuron " << hex(n.bias().data());
      for (const Value& w : n.weights()) os << " " << hex(w.data());
      os << "\n";
    }
  }
  os << "end " << model.num_parameters() << "\n";
}

MLP read_model(std::istream& is, const std::string& source) {
  Reader r(is, source);
  std::vector<std::string> words;
  if (!r.next(words) || words[0] != "verigrad-mlp")
    r.fail("not a verigrad model (expected 'verigrad-mlp 1')");
  if (words.size() != 2 || words[1] != std::to_string(kModelFormatVersion)) {
    r.fail("unsupported format version '" + (words.size() > 1 ? words[1] : "") + "' (this verigrad reads " +
           std::to_string(kModelFormatVersion) + ")");
  }
  words = r.expect("nin");
  if (words.size() != 2) r.fail("expected 'nin N'");
  int nin = r.count(words[1], 1, 1 << 20);
  std::vector<Layer> layers;
  std::size_t params = 0;
  while (true) {
    if (!r.next(words)) r.fail("file ends early (truncated?): expected 'layer' or 'end'");
    if (words[0] == "end") break;
    if (words[0] != "layer") r.fail("expected 'layer' or 'end', found '" + words[0] + "'");
    layers.push_back(read_layer(r, words, nin));
    params += static_cast<std::size_t>(layers.back().nout()) * static_cast<std::size_t>(nin + 1);
    nin = layers.back().nout();
  }
  if (layers.empty()) r.fail("a model needs at least one layer");
  if (words.size() != 2 || words[1] != std::to_string(params)) {
    r.fail("parameter count '" + (words.size() > 1 ? words[1] : "") + "' does not match the " +
           std::to_string(params) + " read (corrupted?)");
  }
  if (r.next(words)) r.fail("unexpected '" + words[0] + "' after 'end'");
  return MLP(std::move(layers));
}

void save(const MLP& model, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream os(tmp, std::ios::trunc);
    if (!os) throw std::runtime_error("cannot write model file '" + path + "': " + std::strerror(errno));
    write_model(os, model);
    os.flush();
    if (!os) {
      std::remove(tmp.c_str());
      throw std::runtime_error("cannot write model file '" + path + "': write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write model file '" + path + "': " + why);
  }
}

MLP load(const std::string& path) {
  std::ifstream is(path);
  if (!is) throw std::runtime_error("cannot read model file '" + path + "': " + std::strerror(errno));
  return read_model(is, path);
}

}  // namespace verigrad::nn
