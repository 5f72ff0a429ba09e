// Runs a shell command for the end-to-end tests of the verigrad binary (tests/cli, tests/fault).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace verigrad::testing {

struct Result {
  int exit_code;
  std::string out;  // what the command printed (the caller redirects stderr if it wants it)
};

inline Result run_shell(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace verigrad::testing
