#include "verify/cli/plot.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "verify/cli/util.hpp"

namespace verigrad::verify::cli {

namespace {

std::string gnuplot_path() {
  std::string path = find_program("gnuplot");
  if (path.empty()) {
    throw UsageError("--plot needs gnuplot, which is not on PATH (install it with scripts/setup)");
  }
  return path;
}

// Renders a script whose output file is named by `tmp`, then moves it to `png` (never half-written).
void render(const std::string& script, const std::string& png) {
  const std::string tmp = png + ".tmp.png";
  const std::string full = "set terminal pngcairo size 800,600 font 'Helvetica,11'\nset output '" + tmp +
                           "'\n" + script + "\nunset output\n";
  const int status = run_program(gnuplot_path(), {"-"}, full);
  if (status != 0 || std::rename(tmp.c_str(), png.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw UsageError("gnuplot could not draw '" + png + "' (exit status " + std::to_string(status) + ")");
  }
}

// The class a model gives a point: sign of a single score, argmax of several.
int predict(const nn::MLP& model, const std::vector<double>& x) {
  const std::vector<Value> out = model(x);
  if (out.size() == 1) return out[0].data() > 0 ? 1 : 0;
  std::size_t best = 0;
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].data() > out[best].data()) best = i;
  }
  return static_cast<int>(best);
}

}  // namespace

void plot_loss(const std::string& dir, const std::vector<double>& loss,
               const std::vector<double>& torch_loss) {
  std::ostringstream s;
  s.precision(17);
  s << "set title 'Training loss'\nset xlabel 'step'\nset ylabel 'loss'\nset logscale y\nset grid\n"
    << "set key top right\n";
  s << "plot '-' with lines lw 3 lc rgb '#1f77b4' title 'verigrad'";
  if (!torch_loss.empty()) s << ", '-' with lines lw 1.5 dt 2 lc rgb '#d62728' title 'LibTorch (lockstep)'";
  s << "\n";
  for (std::size_t i = 0; i < loss.size(); ++i) s << i << " " << loss[i] << "\n";
  s << "e\n";
  if (!torch_loss.empty()) {
    for (std::size_t i = 0; i < torch_loss.size(); ++i) s << i << " " << torch_loss[i] << "\n";
    s << "e\n";
  }
  render(s.str(), dir + "/loss.png");
}

void plot_boundary(const std::string& dir, const nn::MLP& model, const nn::Dataset& data) {
  if (data.nin != 2) throw UsageError("--plot draws 2-D data; this dataset has " + std::to_string(data.nin));
  double x0 = data.X[0][0], x1 = x0, y0 = data.X[0][1], y1 = y0;
  for (const auto& p : data.X) {
    x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]);
    y0 = std::min(y0, p[1]), y1 = std::max(y1, p[1]);
  }
  x0 -= 0.5, x1 += 0.5, y0 -= 0.5, y1 += 0.5;
  const int n = 120;
  std::ostringstream s;
  s.precision(17);
  s << "set title 'Decision boundary (" << data.name << ")'\nset size ratio -1\nunset colorbox\n"
    << "set xrange [" << x0 << ":" << x1 << "]\nset yrange [" << y0 << ":" << y1 << "]\n"
    << "set palette defined (0 '#f4c7c3', 1 '#c6dbef', 2 '#d9f0d3', 3 '#fde0b6', 4 '#e0d4f0')\n"
    << "set cbrange [0:4]\n"
    << "plot '-' using 1:2:3 with image notitle, "
    << "'-' using 1:2:3 with points pt 7 ps 1.2 lc variable notitle\n";
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double x = x0 + (x1 - x0) * (j + 0.5) / n;
      const double y = y0 + (y1 - y0) * (i + 0.5) / n;
      s << x << " " << y << " " << predict(model, {x, y}) << "\n";
    }
    s << "\n";
  }
  s << "e\n";
  const int colours[] = {7, 3, 2, 4, 6};  // gnuplot's red, blue, green, orange, ... by class
  for (std::size_t k = 0; k < data.size(); ++k) {
    s << data.X[k][0] << " " << data.X[k][1] << " " << colours[data.y[k] % 5] << "\n";
  }
  s << "e\n";
  render(s.str(), dir + "/boundary.png");
}

}  // namespace verigrad::verify::cli
