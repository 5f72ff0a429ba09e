// Saving and loading an MLP: architecture and every parameter, bit for bit.
//
// The format is text, one record per line, versioned, with numbers as C99 hex floats (exact):
//
//   verigrad-mlp 1
//   nin 2
//   layer 16 relu
//   neuron 0x0p+0 -0x1.5c1b8f1d2c3e4p-1 0x1.0a2b3c4d5e6f7p-2     <- bias, then the weights
//   ...                                                           (one line per neuron)
//   layer 1 linear
//   neuron ...
//   end 337                                                       <- parameter count: detects truncation
//
// Blank lines and lines starting with '#' are ignored. save() writes a temporary file beside the
// target and renames it over the target, so a crash never leaves a torn file. load() rejects a wrong
// magic line or version, a truncated or corrupted file, or a bad number with std::runtime_error naming
// the file, the line and what was wrong.
#pragma once

#include <iosfwd>
#include <string>

#include "nn/network.hpp"

namespace verigrad::nn {

inline constexpr int kModelFormatVersion = 1;

void save(const MLP& model, const std::string& path);
MLP load(const std::string& path);

// The same, on streams (`source` names the stream in error messages).
void write_model(std::ostream& os, const MLP& model);
MLP read_model(std::istream& is, const std::string& source = "<stream>");

}  // namespace verigrad::nn
