// The engine under test, as `verigrad conform` sees it: a handshake, then cases in, responses out.
// Two implementations: ProcessEngine (verify/conform/process.hpp) drives an adapter process over the
// JSON Lines protocol; InProcessEngine (verify/conform/gtest.hpp) calls a C++ adapter's traits
// directly. Torch-free.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "verify/conform/protocol.hpp"

namespace verigrad::verify::conform {

// The adapter cannot be used: it does not start, fails the handshake, or writes a line that is not the
// protocol. `verigrad conform` exits 2 with this message (which quotes the offending line).
class AdapterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What came back for one case.
struct Response {
  enum class Status : std::uint8_t { reply, crash, timeout };
  Status status = Status::reply;
  Reply reply;                       // status reply
  std::string detail;                // crash / timeout: what happened (exit status, stderr's last lines)
  std::vector<std::string> printed;  // lines the engine printed outside the protocol meanwhile
};

struct RunOptions {
  // A case whose adapter dies is run again once in a fresh adapter before it counts as a crash.
  bool retry_crashes = true;
};

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  virtual ~Engine() = default;

  // The adapter's answer to the handshake (performed on first use). Throws AdapterError.
  virtual const Hello& hello() = 0;

  // Runs the cases in order and hands each response to `sink` as it arrives, in order, while later
  // cases may already be running (so the sink's work overlaps the engine's). Throws AdapterError.
  using Sink = std::function<void(std::size_t index, Response response)>;
  virtual void run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& options) = 0;

  // Lines the engine printed outside any case (while starting), for the report.
  virtual std::vector<std::string> startup_output() const { return {}; }
  // How the engine is reached, for the report: "python", "process", "in-process".
  virtual std::string kind() const = 0;
};

}  // namespace verigrad::verify::conform
