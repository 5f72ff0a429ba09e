// Pictures for `verigrad train --plot DIR`, drawn by gnuplot (Debian's gnuplot-nox).
#pragma once

#include <string>
#include <vector>

#include "nn/datasets.hpp"
#include "nn/mlp.hpp"

namespace verigrad::verify::cli {

// DIR/loss.png: our loss per step, and torch's overlaid when torch_loss is not empty.
void plot_loss(const std::string& dir, const std::vector<double>& loss,
               const std::vector<double>& torch_loss);

// DIR/boundary.png: the model's decision regions over a grid around the data, with the data on top
// (the micrograd demo's picture). Multi-class models colour each point by their argmax.
void plot_boundary(const std::string& dir, const nn::MLP& model, const nn::Dataset& data);

}  // namespace verigrad::verify::cli
