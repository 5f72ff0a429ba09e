// Small pieces every verigrad subcommand uses: the exit codes, errors that mean "bad input", atomic
// file writes, JSON numbers that may be NaN or infinite, and terminal detection.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace verigrad::verify::cli {

// Exit codes (a contract: scripts and CI check them).
inline constexpr int kExitAgree = 0;     // everything agrees / the command succeeded
inline constexpr int kExitDisagree = 1;  // ours and torch disagree (or a fuzz case failed)
inline constexpr int kExitBadInput = 2;  // bad input or usage

// Thrown for anything the user can fix: bad flags, unreadable input, unwritable output.
// main() prints "verigrad: error: <what>" and exits with kExitBadInput.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs f; nn's std::invalid_argument (bad names, bad sizes) becomes a UsageError naming the flag.
template <typename F>
auto for_flag(const std::string& flag, F f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw UsageError(flag + ": " + e.what());
  }
}

// Writes content to a regular file through a temporary file in the same folder and a rename, so
// readers never see a half-written file. A symlink, device or pipe is written through in place (never
// replaced), and "-" is standard output. Throws UsageError naming the path and the reason.
void write_file_atomic(const std::string& path, const std::string& content);

// Throws UsageError (naming the flag and the path) unless a file can be created at path, creating
// missing parent folders: checked before long work starts, so a bad output path fails fast instead of
// after training.
void check_writable(const std::string& flag, const std::string& path);

// Creates dir (and its parents) if needed; throws UsageError if it cannot.
void make_directory(const std::string& dir);

// Reads a whole file ("-" is standard input); throws UsageError naming the path and the reason.
std::string read_file(const std::string& path);

// A double as JSON: a number when finite, else the string "nan", "inf" or "-inf".
nlohmann::ordered_json json_number(double x);

// "16,16" -> {16, 16}; throws UsageError naming the flag and the bad item.
std::vector<int> parse_int_list(const std::string& flag, const std::string& text);

// The full path of an executable on PATH, or "" if there is none.
std::string find_program(const std::string& name);

// Runs a program with arguments (no shell), feeding `input` on its standard input. Returns its exit
// status; -1 if it could not be started.
int run_program(const std::string& path, const std::vector<std::string>& args, const std::string& input = "");

bool stdout_is_terminal();

// Throws UsageError unless the program `name` is on PATH; `why` says which flag needs it.
void require_program(const std::string& name, const std::string& why);

}  // namespace verigrad::verify::cli
