// The verigrad command end to end: the real binary, its exit codes, JSON keys and output files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_shell.hpp"

namespace {

using verigrad::testing::Result;

// A temporary file of this test process's own: the pid keeps two suites run at once (a CI run beside
// scripts/coverage, or ctest -j) from writing each other's files.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "verigrad_cli_" + std::to_string(::getpid()) + "_" + name;
}

// Runs `verigrad ARGS` through the shell, stdout and stderr together; args must be quoted by the caller.
Result verigrad(const std::string& args, const std::string& stdin_text = "") {
  std::string command = std::string(VERIGRAD_BINARY) + " " + args + " 2>&1";
  if (!stdin_text.empty()) {
    const std::string input_file = temp_path("stdin.txt");
    std::ofstream(input_file) << stdin_text;
    command += " < " + input_file;
  }
  return verigrad::testing::run_shell(command);
}

std::string temp(const std::string& name) { return temp_path(name); }

bool file_starts_with(const std::string& path, const std::string& prefix) {
  std::ifstream in(path, std::ios::binary);
  std::string head(prefix.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.good() && head == prefix;
}

constexpr const char* kMicrograd =
    "a = -4.0; b = 2.0; c = a + b; d = a * b + b**3; c += c + 1; c += 1 + c + (-a);"
    " d += d * 2 + (b + a).relu(); d += 3 * d + (b - a).relu(); e = c - d; f = e**2; g = f / 2.0;"
    " g += 10.0 / f";

TEST(CliGrad, MicrogradExampleTableAgrees) {
  const Result r = verigrad(std::string("grad '") + kMicrograd + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("dg/da"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("138.8338192"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("645.5772595"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("138.8338192         ok"), std::string::npos) << r.out;  // the status column
}

TEST(CliGrad, JsonHasTheDocumentedKeys) {
  const Result r = verigrad(std::string("grad --json '") + kMicrograd + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("output"), "g");
  EXPECT_TRUE(j.at("match").get<bool>());
  for (const char* side : {"ours", "torch", "numeric"}) {
    EXPECT_NEAR(j.at("value").at(side).get<double>(), 24.70408163265306, 1e-9) << side;
  }
  EXPECT_NEAR(j.at("grads").at("a").at("ours").get<double>(), 138.8338192419825, 1e-12);
  EXPECT_NEAR(j.at("grads").at("b").at("torch").get<double>(), 645.5772594752186, 1e-12);
  EXPECT_NEAR(j.at("grads").at("b").at("numeric").get<double>(), 645.5772594752186, 1e-4);
  EXPECT_EQ(j.at("grads").size(), 2U);
}

TEST(CliGrad, NonFiniteNumbersAreStringsInJson) {
  const Result r = verigrad("grad --json 'x = 0.0; y = x.log()'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("value").at("ours"), "-inf");
  EXPECT_EQ(j.at("value").at("torch"), "-inf");
  EXPECT_EQ(j.at("grads").at("x").at("ours"), "inf");
}

TEST(CliGrad, ReadsFilesAndStandardInput) {
  const std::string path = temp("prog.py");
  std::ofstream(path) << "x = 3.0\ny = x * x\n";
  Result r = verigrad("grad --json -f " + path);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("grads").at("x").at("ours"), 6.0);
  r = verigrad("grad --json -f -", "x = 3.0; y = x * x * x\n");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("grads").at("x").at("torch"), 27.0);
}

TEST(CliGrad, OutputFlagChoosesTheRoot) {
  const Result r = verigrad("grad --json --output t 'x = 3.0; t = x * 2; u = t + x'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("output"), "t");
}

TEST(CliGrad, NodesListsIntermediates) {
  const Result r = verigrad("grad --nodes 'x = 0.5; y = x.tanh() * x'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("x.tanh()"), std::string::npos) << r.out;
}

TEST(CliGrad, DotAndSvgFiles) {
  const std::string dot = temp("g.dot"), svg = temp("g.svg");
  const Result r = verigrad("grad 'a = 2.0; b = a * a' --dot " + dot + " --svg " + svg);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(file_starts_with(dot, "digraph"));
  std::ifstream in(svg);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("<svg"), std::string::npos);
  EXPECT_NE(s.str().find("torch grad"), std::string::npos);
}

TEST(CliGrad, ParseErrorsNameLineAndColumnAndExitTwo) {
  const Result r = verigrad("grad 'a = 1.0\nb = a *'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("error: line 2, column 8: expected an expression after '*'"), std::string::npos)
      << r.out;
}

// Issue 6's bad inputs through the real binary: each names what and where, exits 2, never crashes.
TEST(CliGrad, BadProgramsNameWhatAndWhere) {
  const std::string empty = temp("empty.py"), binary = temp("binary.py");
  std::ofstream(empty).close();
  std::ofstream(binary, std::ios::binary) << std::string("\x00\x95\xff\x01garbage", 11);
  const std::pair<std::string, std::string> cases[] = {
      {"grad -f " + empty, "line 1, column 1: empty program"},
      {"grad -f " + binary, "line 1, column 1:"},
      {"grad 'x = 1e999; y = x * 2'", "line 1, column 5: number '1e999' is out of range"},
      {"grad 'x = nan; y = x * 2'", "'nan' is not a number literal"},
      {"grad 'x = inf; y = x * 2'", "'inf' is not a number literal"},
      {"grad 'x = 1.0; y = q * x'", "unknown name 'q'"},
      {"grad 'x = 1.0; y = relu(x, x)'", "relu() takes 1 argument, got 2"},
      {"grad 'x = 1.0; y = frob(x)'", "frob"},
      {"grad 'x = Value(1.0)\nfor k in range(3):'", "line 2, column 1: loops are not supported"},
      {"grad 'x = Value(1.0); y = x * 2; x.data += 1'", "line 1, column 28: x.data changed after the output"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = verigrad(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << "\n" << r.out;
    EXPECT_EQ(r.out.find("terminate called"), std::string::npos) << args;
  }
}

std::string fixture(const std::string& name) { return std::string(VERIGRAD_SOURCE_DIR) + "/" + name; }

// Issue 10: a leaf the output does not use is reported with gradient 0, torch None, and exit 0.
TEST(CliGrad, UnusedLeavesAreReportedNotRefused) {
  Result r = verigrad("grad 'x = Value(1.0); z = Value(2.0); t = z.tanh().exp(); y = x * 2'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("dy/dz   0                   None                0                   unused"),
            std::string::npos)
      << r.out;
  r = verigrad("grad --json 'x = Value(1.0); z = Value(2.0); y = x * 2'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j.at("grads").at("z").at("used").get<bool>());
  EXPECT_TRUE(j.at("grads").at("z").at("torch").is_null());
  EXPECT_EQ(j.at("grads").at("z").at("ours"), 0.0);
  EXPECT_TRUE(j.at("grads").at("x").at("used").get<bool>());
  EXPECT_TRUE(j.at("match").get<bool>());
  // With manual steps, the unused leaf's row in the program's table says why it is right.
  r = verigrad("grad 'a = Value(2.0); z = Value(1.0); y = a * 3; y.grad = 1.0; y._backward()'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\nz     0                   None                ok (unused)\n"), std::string::npos)
      << r.out;
}

TEST(CliGrad, PrintsWhatTheProgramPrintsFirst) {
  Result r = verigrad("grad -f " + fixture("examples/micrograd_readme.py"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("24.7041\n138.8338\n645.5773\n\n", 0), 0U) << r.out;  // micrograd's README's numbers
  r = verigrad("grad --json -f " + fixture("examples/micrograd_readme.py"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("printed"), "24.7041\n138.8338\n645.5773\n");
}

// The lecture's cells (tests/cli/lecture/), each through the real binary: exit code and the line
// that shows it did what the lecture does.
TEST(CliGrad, LectureCells) {
  const struct {
    const char* file;
    int exit_code;
    const char* needle;
  } cases[] = {
      {"neuron.py", 0, "-1.4999999999999993 0.9999999999999996 0.4999999999999998 0.0\n"},
      {"tanh_as_exp.py", 0, "-1.5000 1.0000 0.5000 0.0000\n"},
      {"../../../examples/lecture_numerical_gradient.py", 0,
       "dL/da (line 6)   0                   None                0                   unused"},
      {"update_step.py", 0, "-7.286496\n"},
      {"a_plus_a.py", 0, "2.0\n"},
      {"backward_steps.py", 0, "x1        -1.5                -1.5                ok"},
      {"manual_right.py", 0, "c     -2                  -2                  ok"},
      {"manual_wrong.py", 1,
       "first wrong gradient: c (yours 2, torch -2): d = e + c, so dL/dc = dL/dd * 1 = -2 * 1 = -2"},
      {"stale_data.py", 2,
       "line 8, column 1: a.data changed after 'e' (line 5, column 6) was computed from it"},
      // The README's examples.
      {"../../../examples/lecture_neuron.py", 0,
       "do/dx1  -1.5                -1.5                -1.5                ok"},
      {"../../../examples/lecture_manual_backprop.py", 1,
       "first wrong gradient: x1 (yours 1, torch -1.5): x1w1 = x1 * w1, so do/dx1 = do/dx1w1 * -3 = 0.5 * -3 "
       "= -1.5"},
      {"../../../examples/lecture_numerical_gradient.py", 0, "6.000000000000227\n"},
  };
  for (const auto& c : cases) {
    const Result r = verigrad(std::string("grad -f ") + fixture(std::string("tests/cli/lecture/") + c.file));
    EXPECT_EQ(r.exit_code, c.exit_code) << c.file << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.file << "\n" << r.out;
  }
}

TEST(CliGrad, ManualBackpropJson) {
  Result r = verigrad("grad --json -f " + fixture("tests/cli/lecture/manual_wrong.py"));
  ASSERT_EQ(r.exit_code, 1) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("match").get<bool>());  // our engine agrees with torch; the program's c.grad does not
  EXPECT_FALSE(j.at("manual_match").get<bool>());
  EXPECT_EQ(j.at("manual").size(), 7U);
  EXPECT_EQ(j.at("manual").at("c").at("yours"), 2.0);
  EXPECT_EQ(j.at("manual").at("c").at("torch"), -2.0);
  EXPECT_FALSE(j.at("manual").at("c").at("ok").get<bool>());
  for (const char* node : {"L", "f", "d", "e", "a", "b"})
    EXPECT_TRUE(j.at("manual").at(node).at("ok").get<bool>()) << node;
  EXPECT_EQ(j.at("first_wrong").at("node"), "c");
  EXPECT_EQ(j.at("first_wrong").at("rule"), "d = e + c, so dL/dc = dL/dd * 1 = -2 * 1 = -2");

  r = verigrad("grad --json -f " + fixture("tests/cli/lecture/backward_steps.py"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("manual_match").get<bool>());
  EXPECT_TRUE(j.at("first_wrong").is_null());
  EXPECT_EQ(j.at("manual").size(), 10U);

  // No manual steps: no "manual" key.
  r = verigrad("grad --json -f " + fixture("tests/cli/lecture/neuron.py"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(nlohmann::json::parse(r.out).contains("manual"));
}

// With gradients set by hand, the first table says whose numbers it holds (verigrad's backward, not the
// program's); without manual steps there is nothing to tell apart and no such line.
TEST(CliGrad, ManualProgramsSayWhoseBackwardTheFirstTableShows) {
  const std::string heading = "verigrad's own backward() of your graph";
  Result r = verigrad("grad -f " + fixture("tests/cli/lecture/manual_wrong.py"));
  EXPECT_LT(r.out.find(heading), r.out.find("your gradients")) << r.out;
  r = verigrad("grad -f " + fixture("tests/cli/lecture/neuron.py"));
  EXPECT_EQ(r.out.find(heading), std::string::npos) << r.out;
}

// The rule for the first wrong gradient, written out for other ops and for a node used twice.
TEST(CliGrad, ManualRuleForEachKindOfUse) {
  const std::pair<const char*, const char*> cases[] = {
      {"a = Value(2.0); b = Value(-3.0); e = a * b; e.grad = 1.0; a.grad = 2.0; b.grad = 2.0",
       "first wrong gradient: a (yours 2, torch -3): e = a * b, so de/da = de/de * -3 = 1 * -3 = -3"},
      // two wrong, the first listed (b, the newer) is named, with its own slot's local derivative (a = 2)
      {"a = Value(2.0); b = Value(-3.0); e = a * b; e.grad = 1.0; a.grad = 5.0; b.grad = 5.0",
       "first wrong gradient: b (yours 5, torch 2): e = a * b, so de/db = de/de * 2 = 1 * 2 = 2"},
      {"x = Value(0.5); t = x.tanh(); y = t * 2.0; y.grad = 1.0; y._backward(); x.grad = 2.0",
       "first wrong gradient: x (yours 2, torch 1.572895466): t = x.tanh(), so dy/dx = dy/dt * 0.786447733 = "
       "2 * 0.786447733 = 1.572895466"},
      {"a = Value(3.0); b = a * a; c = a + b; c.grad = 1.0; c._backward(); b._backward()",
       "first wrong gradient: a (yours 7, torch 7)"},
      {"a = Value(3.0); b = a * a; c = a + b; c.grad = 1.0; c._backward(); a.grad = 1.0; b.grad = 1.0",
       "first wrong gradient: a (yours 1, torch 7): a is used by b = a * a and c = a + b, so dc/da = dc/db * "
       "3 + "
       "dc/db * 3 + dc/dc * 1 = 1 * 3 + 1 * 3 + 1 * 1 = 7"},
      {"a = Value(2.0); z = Value(1.0); y = a * 3; y.grad = 1.0; y._backward(); z.grad = 5.0",
       "first wrong gradient: z (yours 5, torch None): z does not reach y, so dy/dz = 0"},
      {"a = Value(2.0); y = a * 3; a.grad = 3.0",
       "first wrong gradient: y (yours 0, torch 1): y is the output, so dy/dy = 1"},
  };
  for (const auto& [program, needle] : cases) {
    const Result r = verigrad(std::string("grad '") + program + "'");
    if (std::string(needle).find("yours 7, torch 7") != std::string::npos) {
      EXPECT_EQ(r.exit_code, 0) << program << "\n" << r.out;  // all right: a+b then b's _backward
      EXPECT_EQ(r.out.find("first wrong"), std::string::npos) << r.out;
      continue;
    }
    EXPECT_EQ(r.exit_code, 1) << program << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << program << "\n" << r.out;
  }
}

// A hand-set or _backward() gradient is judged against torch, but where our engine's own gradient
// differs from torch's by rounding only (tanh at 19.02: glibc's tanh is 1 - 2^-53, torch's 1.0, so
// 1 - t*t is 2.2e-16 against 0), the program's equal to ours is right too: the lecture's rule, rounded.
TEST(CliGrad, ManualBackpropForgivesTorchsLastBit) {
  const Result r = verigrad("grad 'x = Value(19.02); t = x.tanh(); t.grad = 1.0; t._backward()'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("x     2.220446049e-16     0                   ok"), std::string::npos) << r.out;
  // and a gradient that is neither torch's nor ours is wrong
  const Result wrong = verigrad("grad 'x = Value(19.02); t = x.tanh(); t.grad = 1.0; x.grad = 1e-10'");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
}

// draw_dot(x) chooses the picture; with manual steps it shows the program's gradients, wrong ones red.
TEST(CliGrad, DrawDotDrawsTheProgramsGradients) {
  const std::string dot = temp("manual.dot");
  const Result r = verigrad("grad -f " + fixture("tests/cli/lecture/manual_wrong.py") + " --dot " + dot);
  ASSERT_EQ(r.exit_code, 1) << r.out;
  std::ifstream in(dot);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  const std::size_t c =
      text.find("{ c | data 10.0000 | grad 2.0000 | torch data 10.0000 | torch grad -2.0000 }");
  ASSERT_NE(c, std::string::npos) << text;
  EXPECT_NE(text.find("color=red", c), std::string::npos);
  EXPECT_EQ(text.find("color=red"), text.find("color=red", c));  // the only red node
  EXPECT_NE(text.find("{ f | data -2.0000 | grad 4.0000 | torch data -2.0000 | torch grad 4.0000 }"),
            std::string::npos);
}

// draw_dot(b) of an inner node draws b's graph, not the output's.
TEST(CliGrad, DrawDotChoosesTheNodeDrawn) {
  const std::string dot = temp("inner.dot");
  const Result r = verigrad(
      "grad \"a = Value(2.0, label='a'); b = a * 3; b.label = 'b'; c = b + 1; c.label = 'c'; draw_dot(b)\" "
      "--dot " +
      dot);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(dot);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("{ b | data 6.0000"), std::string::npos) << s.str();
  EXPECT_EQ(s.str().find("{ c |"), std::string::npos) << s.str();
}

TEST(CliGrad, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string path = temp("deep.py");
  std::ofstream(path) << "x = 1.0\ny = " << std::string(100000, '(') << "x" << std::string(100000, ')')
                      << "\n";
  const Result r = verigrad("grad -f " + path);
  EXPECT_EQ(r.exit_code, 2) << r.out.substr(0, 500);
  EXPECT_NE(r.out.find("nested too deeply"), std::string::npos) << r.out.substr(0, 500);
}

TEST(CliGrad, BadUsageExitsTwo) {
  EXPECT_EQ(verigrad("grad").exit_code, 2);
  EXPECT_EQ(verigrad("grad 'x = 1.0; y = x' -f /nonexistent").exit_code, 2);
  EXPECT_EQ(verigrad("grad -f /nonexistent/file.py").exit_code, 2);
  EXPECT_EQ(verigrad("grad 'x = 1.0; y = q'").exit_code, 2);
  EXPECT_EQ(verigrad("grad 'x = 1.0; y = x' --dot /proc/version/g.dot").exit_code, 2);  // under a file
  EXPECT_EQ(verigrad("grad --bogus").exit_code, 2);
  EXPECT_EQ(verigrad("frobnicate").exit_code, 2);
  EXPECT_EQ(verigrad("").exit_code, 2);
}

TEST(CliGrad, MissingDotBinaryIsAClearError) {
  const Result r = verigrad("grad 'a = 2.0; b = a * a' --svg " + temp("nodot.svg"));
  ASSERT_EQ(r.exit_code, 0);  // with dot on PATH
  const std::string cmd = std::string("env PATH=/nonexistent ") + VERIGRAD_BINARY +
                          " grad 'a = 2.0; b = a * a' --svg " + temp("nodot2.svg") + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(out.find("'dot'"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(temp("nodot2.svg")).good());
}

// --plot naming an existing file, not a folder: exit 2 naming it.
TEST(CliTrain, PlotFolderThatIsAFileIsAClearError) {
  const std::string file = temp("plot_is_a_file");
  std::ofstream(file) << "x";
  const Result r = verigrad("train --steps 1 --plot " + file);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot create directory '" + file + "': not a directory"), std::string::npos)
      << r.out;
  std::remove(file.c_str());
}

// --plot without gnuplot on PATH: exit 2 naming the program, before any training.
TEST(CliTrain, MissingGnuplotIsAClearError) {
  const Result r = verigrad::testing::run_shell(std::string("env PATH=/nonexistent ") + VERIGRAD_BINARY +
                                                " train --steps 1 --plot " + temp("noplot") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--plot needs 'gnuplot', which is not on PATH (scripts/setup installs it)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("step"), std::string::npos) << r.out;  // refused before training
}

TEST(CliOutput, SymlinksAreWrittenThroughNotReplaced) {
  const std::string target = temp("target.dot"), link = temp("link.dot");
  std::remove(link.c_str());
  std::ofstream(target) << "old";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ASSERT_EQ(verigrad("grad 'x = 1.0; y = x * 2' --dot " + link).exit_code, 0);
  EXPECT_TRUE(file_starts_with(target, "digraph"));
  char buf[512];
  EXPECT_GT(::readlink(link.c_str(), buf, sizeof buf), 0);  // still a symlink
}

TEST(CliOutput, DotToStandardOutput) {
  const Result r = verigrad("grad 'x = 1.0; y = x * 2' --dot -");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("digraph verigrad"), std::string::npos);
}

TEST(CliOutput, FullDiskIsAnError) {
  // Standard error goes to the full disk too (the helper redirects it after stdout), so only the exit
  // code can speak here.
  EXPECT_EQ(verigrad("grad 'x = 1.0; y = x * 2' > /dev/full").exit_code, 2);
  EXPECT_EQ(verigrad("train --steps 2 --json > /dev/full").exit_code, 2);
}

TEST(CliOutput, MissingOutputFoldersAreCreated) {
  const std::string dir = temp("made/on/demand");
  ASSERT_EQ(verigrad("grad 'x = 1.0; y = x * 2' --dot " + dir + "/g.dot").exit_code, 0);
  EXPECT_TRUE(file_starts_with(dir + "/g.dot", "digraph"));
}

TEST(CliLimits, HugeGraphsAreRefusedUpFront) {
  Result r = verigrad("train --samples 1000000 --steps 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("GiB"), std::string::npos) << r.out;
  r = verigrad("train --hidden 4096,4096 --steps 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--hidden"), std::string::npos) << r.out;
}

TEST(CliLimits, UnknownCommandIsNamed) {
  const Result r = verigrad("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown command 'frobnicate'"), std::string::npos) << r.out;
}

TEST(CliFuzz, SecondsAloneRunsForThatLong) {
  const Result r = verigrad("fuzz --seconds 1 --seed 9 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GE(j.at("seconds").get<double>(), 1.0);
  EXPECT_GT(j.at("cases").get<int>(), 0);
}

TEST(CliHelp, HelpAndVersion) {
  Result r = verigrad("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"grad", "train", "eval", "Exit codes"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  r = verigrad("grad --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--nodes"), std::string::npos);
  r = verigrad("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("verigrad ", 0), 0U) << r.out;
}

TEST(CliTrain, JsonReportsStepsLossAccuracy) {
  const Result r = verigrad("train --steps 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("steps"), 20);
  EXPECT_GT(j.at("accuracy").get<double>(), 0.7);
  EXPECT_LT(j.at("loss").get<double>(), 1.0);
}

TEST(CliTrain, MirrorTrainsTheTorchTwinInLockstep) {
  const Result r = verigrad("train --mirror --steps 15 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j.at("torch_loss").get<double>(), j.at("loss").get<double>(), 1e-12);
  EXPECT_LT(j.at("max_loss_diff").get<double>(), 1e-12);
  EXPECT_LT(j.at("max_param_diff").get<double>(), 1e-12);
  EXPECT_TRUE(j.at("mirror_match").get<bool>());
  EXPECT_EQ(j.at("history").size(), 15U);
  EXPECT_TRUE(j.at("history").at(14).contains("torch_loss"));
}

TEST(CliTrain, MirrorWithAdamAndCrossEntropy) {
  const Result r = verigrad("train --mirror --steps 10 --json --optimizer adam --dataset spiral --loss ce");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(nlohmann::json::parse(r.out).at("mirror_match").get<bool>());
}

TEST(CliTrain, MirrorCsvHasTorchColumns) {
  const std::string csv = temp("mirror.csv");
  ASSERT_EQ(verigrad("train --mirror --steps 3 --csv " + csv).exit_code, 0);
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "step,loss,accuracy,lr,torch_loss,loss_diff,max_param_diff");
}

TEST(CliFuzz, JsonCountsCasesAndFailures) {
  const Result r = verigrad("fuzz --cases 60 --seed 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("cases"), 60);
  EXPECT_EQ(j.at("failures"), 0);
  EXPECT_EQ(j.at("seed"), 5);
  EXPECT_TRUE(j.at("first_failure").is_null());
}

TEST(CliFuzz, BadFlagsExitTwo) {
  EXPECT_EQ(verigrad("fuzz --cases 0").exit_code, 2);
  EXPECT_EQ(verigrad("fuzz --max-nodes -3").exit_code, 2);
  EXPECT_EQ(verigrad("fuzz --seconds -1").exit_code, 2);
  EXPECT_EQ(verigrad("fuzz --seconds 0").exit_code, 2);
}

TEST(CliTrain, CsvHasOneRowPerStep) {
  const std::string csv = temp("train.csv");
  const Result r = verigrad("train --steps 7 --csv " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("step,loss,accuracy,lr", 0), 0U) << header;
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 7);
}

TEST(CliTrain, PlotWritesTwoPngs) {
  const std::string dir = temp("plots");
  const Result r = verigrad("train --steps 5 --plot " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(file_starts_with(dir + "/loss.png", "\x89PNG"));
  EXPECT_TRUE(file_starts_with(dir + "/boundary.png", "\x89PNG"));
}

TEST(CliTrain, SaveThenEval) {
  const std::string model = temp("model.txt");
  ASSERT_EQ(verigrad("train --steps 30 --save " + model).exit_code, 0);
  const Result r = verigrad("eval --json --model " + model);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out).at("accuracy").get<double>(), 0.8);
}

// micrograd's lecture network: --dataset toy alone brings MLP(3, [4, 4, 1]), tanh, squared error and
// plain gradient descent for 20 steps, beside its LibTorch twin.
TEST(CliTrain, ToyTrainsTheLecturesNetworkInLockstep) {
  Result r = verigrad("train --dataset toy --mirror");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(
      r.out.rfind("verigrad train: toy (micrograd's lecture: 4 samples of 3 inputs), MLP(3, [4, 4, 1]) with "
                  "tanh (output tanh), mse loss, sgd, 20 steps, seed 1337\n",
                  0),
      0U)
      << r.out;
  // The flags give the same run; the others still default to the lecture's.
  r = verigrad("train --dataset toy --hidden 4,4 --activation tanh --loss mse --mirror --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("steps"), 20);
  EXPECT_TRUE(j.at("mirror_match").get<bool>());
  EXPECT_LT(j.at("max_param_diff").get<double>(), 1e-12);
  EXPECT_EQ(j.at("final").at("accuracy"), 1.0);
  EXPECT_LT(j.at("final").at("loss").get<double>(), 0.05);
  EXPECT_LT(j.at("final").at("loss").get<double>(), j.at("history").at(0).at("loss").get<double>() / 10);
  // Flags given explicitly win over the lecture's.
  r = verigrad("train --dataset toy --hidden 8 --output-activation linear --steps 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("MLP(3, [8, 1]) with tanh, mse loss, sgd, 3 steps"), std::string::npos) << r.out;
}

// --dataset toy's step is the lecture's: lr 0.4 (0.1 on the summed loss) and no schedule for sgd, Adam's
// own default lr for adam. Each default run must equal the run with those values given, bit for bit, and
// differ from the run with the general defaults (so the comparison can fail).
TEST(CliTrain, ToyDefaultsAreTheLecturesStep) {
  auto history = [](const std::string& flags) {
    const Result r = verigrad("train --dataset toy --json " + flags);
    EXPECT_EQ(r.exit_code, 0) << flags << "\n" << r.out;
    return nlohmann::json::parse(r.out).at("history").dump();
  };
  const std::string sgd = history("");
  EXPECT_EQ(sgd, history("--lr 0.4 --schedule constant"));
  EXPECT_NE(sgd, history("--lr 0.1 --schedule constant"));
  EXPECT_NE(sgd, history("--lr 0.4 --schedule linear"));
  const std::string adam = history("--optimizer adam");
  EXPECT_EQ(adam, history("--optimizer adam --lr 0.01"));
  EXPECT_NE(adam, history("--optimizer adam --lr 0.4"));
}

// --data FILE.csv: the three label kinds, trained beside the twin, then evaluated from a saved model.
TEST(CliTrain, CsvFilesTrainAndEvaluate) {
  const std::string data = fixture("tests/cli/data/");
  const struct {
    const char* file;
    const char* loss;
    const char* flags;
  } cases[] = {
      {"lecture_toy.csv", "mse",
       "--hidden 4,4 --activation tanh --output-activation tanh --lr 0.4 --schedule constant --steps 20"},
      {"zero_one.csv", "bce", "--steps 30"},
      {"three_classes.csv", "ce", "--optimizer adam --lr 0.05 --steps 50"},
  };
  for (const auto& [file, loss, flags] : cases) {
    const std::string model = temp("csv_model.txt");
    Result r = verigrad("train --data " + data + file + " --loss " + loss + " " + flags +
                        " --mirror --json --save " + model);
    ASSERT_EQ(r.exit_code, 0) << file << "\n" << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j.at("mirror_match").get<bool>()) << file;
    EXPECT_EQ(j.at("final").at("accuracy"), 1.0) << file;
    r = verigrad("eval --json --model " + model + " --loss " + std::string(loss) + " --data " + data + file);
    ASSERT_EQ(r.exit_code, 0) << file << "\n" << r.out;
    const nlohmann::json e = nlohmann::json::parse(r.out);
    EXPECT_EQ(e.at("accuracy"), 1.0) << file;
    EXPECT_EQ(e.at("dataset"), data + file);
    EXPECT_NEAR(e.at("loss").get<double>(), j.at("final").at("loss").get<double>(), 1e-12) << file;
  }
  const Result r = verigrad("train --data " + data + "lecture_toy.csv --steps 2");
  EXPECT_NE(r.out.find("lecture_toy.csv (4 samples of 3 inputs, 2 classes), MLP(3, [16, 16, 1])"),
            std::string::npos)
      << r.out;
}

TEST(CliTrain, BadCsvFilesNameLineAndColumn) {
  const std::string data = fixture("tests/cli/data/");
  const std::pair<std::string, std::string> cases[] = {
      {"train --data " + data + "bad_number.csv",
       "bad_number.csv: line 3, column 2 (x2): 'oops' is not a number"},
      {"train --data " + data + "bad_label.csv",
       "bad_label.csv: line 3, column 3 (label): label '0.5' is not an integer (labels are +1/-1, 0/1 or "
       "class indices)"},
      {"train --data " + data + "short_row.csv",
       "short_row.csv: line 3: 2 values, but the header names 3 columns"},
      {"train --data " + data + "mixed_labels.csv",
       "mixed_labels.csv: line 4, column 3 (label): label 0 mixed with -1"},
      {"train --data " + data + "no_header.csv",
       "no_header.csv: line 1: this looks like data; the first line must be a header"},
      {"eval --model /dev/null --data " + data + "bad_number.csv",
       "line 3, column 2 (x2): 'oops' is not a number"},
      {"train --data /nonexistent/points.csv", "--data /nonexistent/points.csv: cannot read"},
      {"train --data " + data + "lecture_toy.csv --dataset moons", "give --dataset or --data, not both"},
      {"train --data " + data + "three_classes.csv",
       "--loss svm needs two classes, and " + data + "three_classes.csv has 3"},
      {"train --dataset toy --loss bogus", "bogus"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = verigrad(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << "\n" << r.out;
  }
}

TEST(CliTrain, PlotOfDataWithMoreThanTwoInputsSkipsTheBoundary) {
  const std::string dir = temp("toy_plots");
  const Result r = verigrad("train --dataset toy --steps 3 --plot " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(file_starts_with(dir + "/loss.png", "\x89PNG"));
  EXPECT_NE(r.out.find("no boundary.png: the data has 3 inputs"), std::string::npos) << r.out;
}

TEST(CliTrain, OutOfRangeFlagsExitTwoWithAMessage) {
  const std::pair<const char*, const char*> cases[] = {
      {"train --steps -1", "--steps"},
      {"train --steps 0", "--steps"},
      {"train --activation linear", "--activation"},
      {"train --hidden 0", "--hidden"},
      {"train --samples 0", "--samples"},
      {"train --dataset nope", "nope"},
      {"train --activation swish", "swish"},
      {"train --optimizer rmsprop", "rmsprop"},
      {"train --loss hinge", "hinge"},
      {"train --hidden 16,,4", "--hidden"},
      {"train --noise -1", "--noise"},
      {"train --csv /proc/version/x.csv", "/proc/version"},
      {"train --dataset blobs", "--loss ce"},
      {"eval --model /nonexistent.txt", "/nonexistent.txt"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = verigrad(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << "\n" << r.out;
  }
}

// `verigrad ARGS` on a pseudo-terminal (util-linux's script), where train and fuzz show progress.
Result on_terminal(const std::string& args) {
  return verigrad::testing::run_shell("script -qec \"" + std::string(VERIGRAD_BINARY) + " " + args +
                                      "\" /dev/null 2>&1");
}

// On a terminal, train shows a progress bar, then a short table: the first five steps, every tenth
// (every steps/10-th from 100 steps on) and the last.
TEST(CliTrain, OnATerminalAProgressBarThenAShortTable) {
  Result r = on_terminal("train --steps 12 --samples 20");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("[##############################] 12/12"), std::string::npos) << r.out;
  for (const char* step : {"step    0  loss", "step    4  loss", "step   10  loss", "step   11  loss"})
    EXPECT_NE(r.out.find(step), std::string::npos) << step << "\n" << r.out;
  EXPECT_EQ(r.out.find("step    7  loss"), std::string::npos) << r.out;
  r = on_terminal("train --steps 200 --samples 10 --hidden 2 --mirror");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("step   20  loss"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("step   10  loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("torch "), std::string::npos) << r.out;
  r = on_terminal("fuzz --cases 12 --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("fuzz: 12 cases, 0 failures"), std::string::npos) << r.out;
}

// Every usage error names the flag or path and the problem, and exits 2.
TEST(CliErrors, EveryUsageErrorNamesTheProblem) {
  const std::string dir = temp("a_dir");
  verigrad("grad 'x = 1.0; y = x' --dot " + dir + "/made.dot");  // creates the folder
  const std::pair<std::string, std::string> cases[] = {
      {"grad 'x = 1.0; y = x * 2' --dot " + dir, "is a directory"},
      {"grad -f " + dir, "cannot read '" + dir + "': is a directory"},
      {"grad 'x = 1.0; y = x * 2' --dot /proc/version/sub/g.dot", "--dot: cannot create directory"},
      {"train --hidden 16,", "expected comma-separated layer widths"},
      {"train --schedule cosine", "--schedule: unknown schedule 'cosine'"},
      {"train --mirror --loss mse --l2 0.1 --steps 1", "--mirror supports --l2 with the svm loss only"},
  };
  for (const auto& [args, needle] : cases) {
    const Result r = verigrad(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << "\n" << r.out;
  }
}

// The multi-class boundary picture, the mirror's loss overlay, the other losses in the mirror, eval's
// text line and its refusal of a model that does not fit, constants under --nodes.
TEST(CliTrain, OtherLossesPicturesAndEval) {
  const std::string plots = temp("blob_plots"), model = temp("blobs.txt");
  Result r =
      verigrad("train --dataset blobs --loss ce --mirror --steps 3 --plot " + plots + " --save " + model);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(file_starts_with(plots + "/boundary.png", "\x89PNG"));
  for (const char* loss : {"mse", "bce"}) {
    r = verigrad(std::string("train --mirror --steps 3 --samples 20 --loss ") + loss);
    EXPECT_EQ(r.exit_code, 0) << loss << "\n" << r.out;
    EXPECT_NE(r.out.find("every step within tolerance"), std::string::npos) << r.out;
  }
  r = verigrad("eval --model " + model + " --dataset blobs --loss ce");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(" on blobs (100 samples, noise 0.1, seed 1337): loss "), std::string::npos) << r.out;
  r = verigrad("eval --model " + model + " --dataset moons --loss svm");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("does not fit this data and loss"), std::string::npos) << r.out;
  r = verigrad("grad --nodes 'x = 1.5; y = x * 2'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("constant"), std::string::npos) << r.out;
}

// Graphviz cannot lay out huge graphs in reasonable time: --svg refuses more than 3000 nodes, --dot
// writes any size.
TEST(CliLimits, SvgRefusesGraphsGraphvizCannotLayOut) {
  const std::string path = temp("big.py");
  std::ofstream program(path);
  program << "x = 1.0\ny = x";
  for (int i = 0; i < 3000; ++i) program << " + x";  // x and 3000 sums: 3001 nodes
  program << "\n";
  program.close();
  Result r = verigrad("grad -f " + path + " --svg " + temp("big.svg"));
  EXPECT_EQ(r.exit_code, 2) << r.out.substr(0, 300);
  EXPECT_NE(r.out.find("--svg: the graph has 3001 nodes"), std::string::npos) << r.out.substr(0, 300);
  r = verigrad("grad -f " + path + " --dot " + temp("big.dot"));
  EXPECT_EQ(r.exit_code, 0) << r.out.substr(0, 300);
}

// The CSV's lr column: sgd defaults to lr 1.0 decaying as micrograd's 1 - 0.9 k / steps, adam to a
// constant 0.01; --schedule and --lr override.
TEST(CliTrain, DefaultLearningRatesAndSchedules) {
  auto lrs = [](const std::string& args) {
    const std::string csv = temp("lr.csv");
    EXPECT_EQ(verigrad("train --steps 5 --samples 10 " + args + " --csv " + csv).exit_code, 0) << args;
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);
    std::vector<double> out;
    while (std::getline(in, line)) out.push_back(std::stod(line.substr(line.rfind(',') + 1)));
    return out;
  };
  const std::vector<double> sgd = lrs("");
  ASSERT_EQ(sgd.size(), 5u);
  for (int k = 0; k < 5; ++k)
    EXPECT_DOUBLE_EQ(sgd[static_cast<std::size_t>(k)], 1.0 * (1.0 - 0.9 * k / 5)) << k;
  for (double lr : lrs("--optimizer adam")) EXPECT_EQ(lr, 0.01);
  for (double lr : lrs("--schedule constant --lr 0.5")) EXPECT_EQ(lr, 0.5);
  EXPECT_DOUBLE_EQ(lrs("--optimizer adam --schedule linear").back(), 0.01 * (1.0 - 0.9 * 4 / 5));
}

// --momentum reaches our SGD and the torch twin alike: the mirror agrees, and the run differs from
// one without momentum.
TEST(CliTrain, MomentumReachesBothOptimizers) {
  const Result with = verigrad("train --mirror --momentum 0.9 --steps 4 --samples 20 --json");
  ASSERT_EQ(with.exit_code, 0) << with.out;
  const nlohmann::json j = nlohmann::json::parse(with.out);
  EXPECT_TRUE(j.at("mirror_match").get<bool>());
  const Result without = verigrad("train --steps 4 --samples 20 --json");
  EXPECT_NE(j.at("loss"), nlohmann::json::parse(without.out).at("loss"));
}

// --seed seeds the initial weights as well as the data: with a negligible learning rate the saved
// weights (not the biases, which start at 0 and move by 1e-300 * grad) are the initialisation, which
// differs between seeds and matches the default for 1337.
TEST(CliTrain, SeedChoosesTheInitialWeights) {
  auto weights = [](const std::string& name, const std::string& seed) {
    const std::string path = temp("seed_" + name + ".txt");
    EXPECT_EQ(verigrad("train --steps 1 --lr 1e-300 --samples 10 --save " + path + seed).exit_code, 0);
    std::ifstream in(path);
    std::string line, out;
    while (std::getline(in, line)) {
      if (line.rfind("neuron ", 0) == 0) out += line.substr(line.find(' ', 7)) + "\n";  // drop the bias
    }
    EXPECT_FALSE(out.empty());
    return out;
  };
  EXPECT_NE(weights("5", " --seed 5"), weights("6", " --seed 6"));
  EXPECT_EQ(weights("1337", " --seed 1337"), weights("default", ""));
}

TEST(CliTrain, EvalDefaultsToTheSvmLoss) {
  const std::string model = temp("eval_default.txt");
  ASSERT_EQ(verigrad("train --steps 3 --save " + model).exit_code, 0);
  const Result plain = verigrad("eval --json --model " + model);
  const Result svm = verigrad("eval --json --model " + model + " --loss svm");
  const Result mse = verigrad("eval --json --model " + model + " --loss mse");
  EXPECT_EQ(plain.out, svm.out);
  EXPECT_NE(plain.out, mse.out);
}

}  // namespace
