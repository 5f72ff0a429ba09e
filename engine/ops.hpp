// The op table: every operation verigrad knows, its forward and its local derivative, side by side.
//
// This is the one place an op is defined (like micrograd's engine.py, where each op's forward and its
// `_backward` closure sit together). The engine's forward and backward switches, the printer, the DOT
// writer, the expression generators and the LibTorch mirror all read from it. Adding an op means one
// row here plus its torch call in verify/torch_mirror.cpp.
//
// In the formulas: `a` and `b` are the operands' values, `k` a constant exponent, `out` the op's own
// value, `g` the gradient flowing into the op. Each derivative column is the contribution added to that
// operand's grad. The expressions are written in the same floating-point order as PyTorch 1.13's
// autograd formulas, so that ours and torch's agree bit for bit wherever the forward does.
//
// Gradient conventions at edge points (PyTorch 1.13, each pinned by a test in tests/):
//
//   op            point            forward   derivative   why
//   relu(x)       x = 0            0         0            threshold_backward zeroes where x <= 0
//   relu(x)       x = NaN          NaN       1 (g)        NaN <= 0 is false, so the gradient passes
//   abs(x)        x = 0            0         0            grad * sgn(x), sgn(0) = 0
//   x ** 0        any x, even 0/NaN 1        0            pow_backward returns zeros for exponent 0
//   x ** 0.5      x = 0            0         +inf         0.5 * 0 ** -0.5
//   x ** 0.5      x = -0           -0        -inf         torch computes sqrt(x) and 1/sqrt(x)
//   x ** 0.5      x = -inf         NaN       NaN          sqrt(-inf) (C pow would give +inf)
//   x ** y (y a Value)  x = 0, y >= 0   0**y   d/dy = 0   torch masks result * log(0) = 0 * -inf = NaN
//   log(x)        x = 0            -inf      +inf         grad / x
//   log(x)        x = -1           NaN       -1           grad / x, the formula does not look at out
//   a / b         any              a / b     da = g / b, db = -g * ((a / b) / b)   (torch's order)
//
#pragma once

#include <cmath>
#include <cstdint>

namespace verigrad {

// x ** k for a constant k as PyTorch's CPU kernel computes it (ATen's pow_tensor_scalar): 1 and x
// for k = 0 and 1, and exact special cases for the exponents it dispatches, std::pow for the rest. The
// special cases differ from std::pow at -0 and -inf (sqrt(-0) = -0, 1/sqrt(-inf) = NaN) and in the
// last bit elsewhere (x*x*x); the derivative k * x ** (k - 1) goes through the same dispatch in torch.
inline double pow_like_torch(double x, double k) {
  if (k == 0.0) return 1.0;
  if (k == 1.0) return x;
  if (k == 0.5) return std::sqrt(x);
  if (k == -0.5) return 1.0 / std::sqrt(x);
  if (k == -1.0) return 1.0 / x;
  if (k == 2.0) return x * x;
  if (k == 3.0) return x * x * x;
  if (k == -2.0) return 1.0 / (x * x);
  return std::pow(x, k);
}

// sgn as torch's abs backward uses it: 0 at 0 (and at NaN, where both comparisons are false).
inline double sgn(double x) { return static_cast<double>((0.0 < x) - (x < 0.0)); }

// clang-format off
//
// Unary ops: X(Kind, "name", forward(a, k), d out/d a contribution(g, a, k, out))
#define VERIGRAD_UNARY_OPS(X)                                                                          \
  X(Neg,      "neg",     -a,                           -g)                                             \
  X(Exp,      "exp",     std::exp(a),                  g * out)                                        \
  X(Log,      "log",     std::log(a),                  g / a)                                          \
  X(Tanh,     "tanh",    std::tanh(a),                 g * (1.0 - out * out))                          \
  X(Relu,     "relu",    (a <= 0.0 ? 0.0 : a),         (out <= 0.0 ? 0.0 : g))                         \
  X(Sigmoid,  "sigmoid", 1.0 / (1.0 + std::exp(-a)),   g * (1.0 - out) * out)                          \
  X(Abs,      "abs",     std::fabs(a),                 g * sgn(a))                                     \
  X(PowConst, "**",      pow_like_torch(a, k),         (k == 0.0 ? 0.0 : g * (k * pow_like_torch(a, k - 1.0))))

// Binary ops: X(Kind, "name", forward(a, b), d/da contribution, d/db contribution), given g, a, b, out
#define VERIGRAD_BINARY_OPS(X)                                                                         \
  X(Add, "+",  a + b,          g,                                     g)                               \
  X(Sub, "-",  a - b,          g,                                     -g)                              \
  X(Mul, "*",  a * b,          g * b,                                 g * a)                           \
  X(Div, "/",  a / b,          g / b,                                 -g * ((a / b) / b))              \
  X(Pow, "**", std::pow(a, b), (b == 0.0 ? 0.0 : g * (b * std::pow(a, b - 1.0))),                      \
                               g * ((a == 0.0 && b >= 0.0) ? 0.0 : out * std::log(a)))

// Dot is the one n-ary op: out = c0 + c1*c2 + c3*c4 + ... (a neuron's b + w0*x0 + w1*x1 + ..., summed
// left to right in exactly micrograd's order). Its rule lives in engine/value.cpp beside the switches:
//   forward: s = c0; s += c[2i+1] * c[2i+2]        backward: d c0 += g; d w += g * x; d x += g * w

enum class Op : std::uint8_t {
  Leaf,
#define VERIGRAD_ENUM(kind, ...) kind,
  VERIGRAD_UNARY_OPS(VERIGRAD_ENUM) VERIGRAD_BINARY_OPS(VERIGRAD_ENUM)
#undef VERIGRAD_ENUM
      Dot,
};

// Every op kind in table order, for generators and tests that want to cover them all.
inline constexpr Op kAllOps[] = {
    Op::Leaf,
#define VERIGRAD_LIST(kind, ...) Op::kind,
    VERIGRAD_UNARY_OPS(VERIGRAD_LIST) VERIGRAD_BINARY_OPS(VERIGRAD_LIST)
#undef VERIGRAD_LIST
        Op::Dot,
};

// The switches below list every op; several share a body by design.
// NOLINTBEGIN(bugprone-branch-clone)

// The op's display name ("+", "tanh", "**"); "" for a leaf.
inline const char* op_name(Op op) {
  switch (op) {
    case Op::Leaf: return "";
#define VERIGRAD_NAME(kind, name, ...) \
  case Op::kind: return name;
      VERIGRAD_UNARY_OPS(VERIGRAD_NAME) VERIGRAD_BINARY_OPS(VERIGRAD_NAME)
#undef VERIGRAD_NAME
    case Op::Dot: return "dot";
  }
  return "?";
}

// The enum's own name ("Add", "Tanh"), stable for JSON and error messages.
inline const char* op_kind_name(Op op) {
  switch (op) {
    case Op::Leaf: return "Leaf";
#define VERIGRAD_KIND(kind, ...) \
  case Op::kind: return #kind;
      VERIGRAD_UNARY_OPS(VERIGRAD_KIND) VERIGRAD_BINARY_OPS(VERIGRAD_KIND)
#undef VERIGRAD_KIND
    case Op::Dot: return "Dot";
  }
  return "?";
}

// Number of Value operands; -1 for Dot, whose operand count is per node.
inline int op_arity(Op op) {
  switch (op) {
    case Op::Leaf: return 0;
#define VERIGRAD_ONE(kind, ...) \
  case Op::kind: return 1;
#define VERIGRAD_TWO(kind, ...) \
  case Op::kind: return 2;
      VERIGRAD_UNARY_OPS(VERIGRAD_ONE) VERIGRAD_BINARY_OPS(VERIGRAD_TWO)
#undef VERIGRAD_ONE
#undef VERIGRAD_TWO
    case Op::Dot: return -1;
  }
  return 0;
}

// Fault injection, for the suite's own tests only (tests/fault): a build with
// VERIGRAD_FAULT_INJECTION routes every forward and derivative below through a hook that can make one
// op deliberately wrong, chosen at run time, so the tests can prove that every oracle and command
// reports a real disagreement. In every other build the hooks are the formulas themselves. In a fault
// build the four functions get internal linkage, so translation units built without the define (the
// LibTorch mirror's, shared with the normal build) never pick up a hooked copy.
#ifdef VERIGRAD_FAULT_INJECTION
namespace fault {
double forward(Op op, double value);                  // the op's forward result, maybe made wrong
double derivative(Op op, int operand, double value);  // its contribution to operand 0 or 1
}  // namespace fault
#define VERIGRAD_FAULT_FWD(kind, x) ::verigrad::fault::forward(Op::kind, (x))
#define VERIGRAD_FAULT_DER(kind, operand, x) ::verigrad::fault::derivative(Op::kind, operand, (x))
#define VERIGRAD_OP_FN static inline
#else
#define VERIGRAD_FAULT_FWD(kind, x) (x)
#define VERIGRAD_FAULT_DER(kind, operand, x) (x)
#define VERIGRAD_OP_FN inline
#endif

// Forward of a unary op (k is the exponent of PowConst, ignored elsewhere).
VERIGRAD_OP_FN double unary_forward(Op op, double a, [[maybe_unused]] double k) {
  switch (op) {
#define VERIGRAD_FWD(kind, name, forward, ...) \
  case Op::kind: return VERIGRAD_FAULT_FWD(kind, forward);
    VERIGRAD_UNARY_OPS(VERIGRAD_FWD)
#undef VERIGRAD_FWD
    default: return std::nan("");
  }
}

VERIGRAD_OP_FN double binary_forward(Op op, double a, double b) {
  switch (op) {
#define VERIGRAD_FWD(kind, name, forward, ...) \
  case Op::kind: return VERIGRAD_FAULT_FWD(kind, forward);
    VERIGRAD_BINARY_OPS(VERIGRAD_FWD)
#undef VERIGRAD_FWD
    default: return std::nan("");
  }
}

// d(out)/d(a) * g for a unary op.
VERIGRAD_OP_FN double unary_backward(Op op, double g, double a, [[maybe_unused]] double k,
                                     [[maybe_unused]] double out) {
  switch (op) {
#define VERIGRAD_BWD(kind, name, forward, da) \
  case Op::kind: return VERIGRAD_FAULT_DER(kind, 0, da);
    VERIGRAD_UNARY_OPS(VERIGRAD_BWD)
#undef VERIGRAD_BWD
    default: return std::nan("");
  }
}

struct BinaryGrads {
  double da;
  double db;
};

VERIGRAD_OP_FN BinaryGrads binary_backward(Op op, double g, double a, double b,
                                           [[maybe_unused]] double out) {
  switch (op) {
#define VERIGRAD_BWD(kind, name, forward, da, db) \
  case Op::kind: return {VERIGRAD_FAULT_DER(kind, 0, da), VERIGRAD_FAULT_DER(kind, 1, db)};
    VERIGRAD_BINARY_OPS(VERIGRAD_BWD)
#undef VERIGRAD_BWD
    default: return {std::nan(""), std::nan("")};
  }
}

// NOLINTEND(bugprone-branch-clone)
// clang-format on

}  // namespace verigrad
