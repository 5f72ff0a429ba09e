#include "verify/cli/util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace verigrad::verify::cli {

namespace {

std::string reason() { return std::strerror(errno); }

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

namespace {

// A symlink, device, pipe or standard output ("-"): written through in place, never replaced.
void write_through(const std::string& path, const std::string& content) {
  const int fd =
      path == "-" ? ::dup(STDOUT_FILENO) : ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT, 0644);
  if (fd < 0) throw UsageError("cannot write '" + path + "': " + reason());
  const bool ok = write_all(fd, content);
  const std::string why = ok ? "" : reason();
  if (::close(fd) != 0 && ok) throw UsageError("cannot write '" + path + "': " + reason());
  if (!ok) throw UsageError("cannot write '" + path + "': " + why);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  struct stat st {};
  if (path == "-" || (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
    write_through(path, content);
    return;
  }
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw UsageError("cannot write '" + path + "': " + reason());
  const bool ok = write_all(fd, content) && ::fsync(fd) == 0;
  const std::string why = ok ? "" : reason();
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw UsageError("cannot write '" + path + "': " + why);
  }
  ::chmod(tmp.c_str(), 0644);  // mkstemp makes 0600; outputs are ordinary files
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string rename_why = reason();
    ::unlink(tmp.c_str());
    throw UsageError("cannot write '" + path + "': " + rename_why);
  }
}

void check_writable(const std::string& flag, const std::string& path) {
  if (path.empty() || path == "-") return;
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw UsageError(flag + ": cannot write '" + path + "': is a directory");
  }
  if (::stat(dir.c_str(), &st) != 0) {
    try {
      make_directory(dir);  // like --plot DIR: missing folders are created
    } catch (const UsageError& e) {
      throw UsageError(flag + ": " + e.what());
    }
  }
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw UsageError(flag + ": cannot write '" + path + "': '" + dir + "' is not a folder");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw UsageError(flag + ": cannot write '" + path + "': folder '" + dir + "' is not writable");
  }
}

void make_directory(const std::string& dir) {
  std::string prefix;
  std::stringstream parts(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') prefix = "/";
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    prefix += part + "/";
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      throw UsageError("cannot create directory '" + dir + "': " + reason());
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw UsageError("cannot create directory '" + dir + "': not a directory");
  }
}

std::string read_file(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw UsageError("cannot read '" + path + "': is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read '" + path + "': " + reason());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

nlohmann::ordered_json json_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

std::vector<int> parse_int_list(const std::string& flag, const std::string& text) {
  std::vector<int> values;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno != 0 || v < 1 || v > 4096) {
      throw UsageError(flag + ": '" + item + "' in '" + text + "' is not a layer width from 1 to 4096");
    }
    values.push_back(static_cast<int>(v));
  }
  if (values.empty() || text.back() == ',') {
    throw UsageError(flag + ": expected comma-separated layer widths like 16,16, got '" + text + "'");
  }
  return values;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = dir.empty() ? "." : dir;
    candidate += "/";
    candidate += name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int run_program(const std::string& path, const std::vector<std::string>& args, const std::string& input) {
  int in_pipe[2];
  if (::pipe(in_pipe) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  write_all(in_pipe[1], input);
  ::close(in_pipe[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) != 0; }

void require_program(const std::string& name, const std::string& why) {
  if (find_program(name).empty()) {
    throw UsageError(why + " needs '" + name + "', which is not on PATH (scripts/setup installs it)");
  }
}

}  // namespace verigrad::verify::cli
