// The adapter process: spawning, the poll loop, deadlines, restarts. Nothing here blocks without a
// deadline, and nothing the adapter writes can make verigrad crash (see wire.cpp for the reading).
#include "verify/conform/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <optional>

#include "verify/conform/wire.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace verigrad::verify::conform {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes of the adapter's stderr kept to explain a crash.
constexpr std::size_t kStderrTail = std::size_t{16} * 1024;

// The running adapter's process group, for the signal handler below: the adapter is in a group of its
// own (so that a timeout can kill it with its children), which also keeps the terminal's Ctrl-C from
// reaching it. If verigrad is interrupted or terminated, it takes the adapter with it.
std::atomic<pid_t> running_group{0};

extern "C" void kill_adapter_then_die(int sig) {
  const pid_t group = running_group.load();
  if (group > 0) ::kill(-group, SIGKILL);
  std::signal(sig, SIG_DFL);  // async-signal-safe, as are kill and raise
  std::raise(sig);
}

void take_adapter_on_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(sig, kill_adapter_then_die);
    }
  }
}

struct Child {
  pid_t pid = -1;
  int in = -1;   // the adapter's stdin (we write)
  int out = -1;  // its stdout (we read)
  int err = -1;  // its stderr (we read)
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The adapter in a process group of its own (so that a timeout kills its children too), with SIGPIPE
// back to its default (verigrad ignores it, and ignored signals survive exec).
Child spawn(const std::vector<std::string>& argv) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    for (int* p : {in, out, err}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
    throw AdapterError(std::string("cannot create pipes for the adapter: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, mask;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&mask);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    close_fd(in[1]);
    close_fd(out[0]);
    close_fd(err[0]);
    throw AdapterError("cannot start the adapter '" + argv[0] + "': " + std::strerror(rc));
  }
  for (int fd : {in[1], out[0], err[0]}) set_nonblocking(fd);
  running_group.store(pid);
  return {pid, in[1], out[0], err[0]};
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) +
           (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  return "stopped";
}

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1000LL * 1000));
}

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

struct ProcessEngine::Impl {
  ProcessOptions o;
  Child child;
  std::optional<Hello> hello;
  std::string outbuf;       // bytes waiting to be written to the adapter
  std::string partial;      // the unfinished line on its stdout
  bool discarding = false;  // the rest of an overlong print line is being skipped
  bool stdout_eof = false;
  std::string err_tail;
  std::deque<std::string> ready;  // complete stdout lines not yet handled
  std::vector<std::string> startup, prints;
  std::size_t starts = 0, printed = 0;

  // ---- reading -------------------------------------------------------------------------------

  void note_print(std::string line) {
    if (line.empty()) return;
    ++printed;
    if (line.size() > o.max_print_line) line = line.substr(0, o.max_print_line) + " [cut]";
    std::vector<std::string>& to = hello ? prints : startup;
    if (printed <= o.max_kept_prints) to.push_back(std::move(line));
  }

  // A piece of stdout up to a newline (complete) or the end of what was read.
  void take(const char* p, std::size_t n, bool complete) {
    if (discarding) {
      discarding = !complete;
      return;
    }
    partial.append(p, n);
    if (!complete) {
      if (!partial.empty() && partial.front() != '{' && partial.size() > o.max_print_line) {
        note_print(std::move(partial));  // a print line without end: keep its start, skip the rest
        partial.clear();
        discarding = true;
      } else if (partial.size() > o.max_line) {
        throw AdapterError("the adapter wrote a protocol line longer than " + std::to_string(o.max_line) +
                           " bytes: " + quote(partial, 200));
      }
      return;
    }
    if (!partial.empty() && partial.back() == '\r') partial.pop_back();
    if (partial.size() > o.max_line) {
      throw AdapterError("the adapter wrote a protocol line longer than " + std::to_string(o.max_line) +
                         " bytes: " + quote(partial, 200));
    }
    ready.push_back(std::move(partial));
    partial.clear();
  }

  void read_stdout() {
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(child.out, buf, sizeof buf);
      if (n > 0) {
        std::size_t start = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
          if (buf[i] == '\n') {
            take(buf + start, i - start, true);
            start = i + 1;
          }
        }
        take(buf + start, static_cast<std::size_t>(n) - start, false);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {  // end of file, or a broken pipe
        stdout_eof = true;
        close_fd(child.out);
      }
      return;
    }
  }

  void read_stderr() {
    char buf[1 << 14];
    for (;;) {
      const ssize_t n = ::read(child.err, buf, sizeof buf);
      if (n > 0) {
        err_tail.append(buf, static_cast<std::size_t>(n));
        if (err_tail.size() > 2 * kStderrTail) err_tail.erase(0, err_tail.size() - kStderrTail);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_fd(child.err);
      return;
    }
  }

  void write_stdin() {
    while (!outbuf.empty()) {
      const ssize_t n = ::write(child.in, outbuf.data(), outbuf.size());
      if (n > 0) {
        outbuf.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      outbuf.clear();  // EPIPE: the adapter closed its input; its stdout will tell the rest
      close_fd(child.in);
      return;
    }
  }

  // One poll, waiting at most until `deadline`: writes what it can, reads what there is.
  void pump(Clock::time_point deadline) {
    pollfd fds[3];
    nfds_t n = 0;
    const int out_slot = child.out >= 0 ? static_cast<int>(n) : -1;
    if (child.out >= 0) fds[n++] = {child.out, POLLIN, 0};
    const int err_slot = child.err >= 0 ? static_cast<int>(n) : -1;
    if (child.err >= 0) fds[n++] = {child.err, POLLIN, 0};
    const int in_slot = child.in >= 0 && !outbuf.empty() ? static_cast<int>(n) : -1;
    if (in_slot >= 0) fds[n++] = {child.in, POLLOUT, 0};
    if (n == 0) return;
    const int r = ::poll(fds, n, milliseconds_until(deadline));
    if (r <= 0) return;  // timeout or EINTR: the caller checks its deadline
    if (in_slot >= 0 && fds[in_slot].revents != 0) write_stdin();
    if (err_slot >= 0 && fds[err_slot].revents != 0) read_stderr();
    if (out_slot >= 0 && fds[out_slot].revents != 0) read_stdout();
  }

  // ---- the process -------------------------------------------------------------------------

  // Kills the adapter's whole process group and reaps the adapter; returns its wait status.
  int kill_child() {
    int status = 0;
    if (child.pid > 0) {
      ::kill(-child.pid, SIGKILL);
      ::kill(child.pid, SIGKILL);
      while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
      }
      running_group.store(0);
    }
    close_fd(child.in);
    close_fd(child.out);
    close_fd(child.err);
    child = Child{};
    return status;
  }

  // Why the adapter is gone, with the end of what it wrote to stderr.
  std::string death(int status, const std::string& when = "") {
    std::string text = "the adapter " + describe_status(status) + when;
    if (!partial.empty()) text += "; its last, unfinished line: " + quote(partial, 200);
    std::string tail = err_tail.size() > 2000 ? "..." + err_tail.substr(err_tail.size() - 2000) : err_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    if (!tail.empty()) text += "; its stderr ends: " + quote(tail, 2100);
    return text;
  }

  void reset_streams() {
    outbuf.clear();
    partial.clear();
    ready.clear();
    discarding = false;
    stdout_eof = false;
    err_tail.clear();
  }

  // Starts the adapter and performs the handshake. Throws AdapterError.
  void start() {
    reset_streams();
    child = spawn(o.argv);
    ++starts;
    outbuf = to_line(hello_request());
    const Clock::time_point deadline = after(o.handshake_timeout);
    for (;;) {
      while (!ready.empty()) {
        std::string line = std::move(ready.front());
        ready.pop_front();
        if (!is_protocol_line(line)) {
          note_print(std::move(line));
          continue;
        }
        try {
          Hello h = parse_hello(line);
          if (!hello) hello = std::move(h);
        } catch (const AdapterError&) {
          kill_child();
          throw;
        }
        return;
      }
      if (stdout_eof) {
        const int status = kill_child();
        throw AdapterError(death(status, " before answering the handshake"));
      }
      if (Clock::now() >= deadline) {
        kill_child();
        throw AdapterError("the adapter did not answer the handshake within " +
                           format_seconds(o.handshake_timeout) +
                           (err_tail.empty() ? std::string() : "; its stderr: " + quote(err_tail, 2000)));
      }
      pump(deadline);
    }
  }

  // --timeout, and as much again per 50,000 instructions: a deep chain is honest work, not a hang.
  double case_timeout(const Case& c) const {
    return o.timeout * (1.0 + static_cast<double>(c.ops.size()) / 50000.0);
  }

  static std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
  }

  Response finished(Response::Status status, std::string detail) {
    Response r;
    r.status = status;
    r.detail = std::move(detail);
    r.printed = std::move(prints);
    prints.clear();
    return r;
  }

  void stop() {
    if (child.pid <= 0) return;
    close_fd(child.in);  // the adapter's cue to exit
    const Clock::time_point deadline = after(1.0);
    while (child.out >= 0 && Clock::now() < deadline) {
      pump(deadline);
      ready.clear();
    }
    kill_child();  // its group too, whatever it left behind
  }

  void run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& options) {
    const std::size_t n = cases.size();
    std::size_t head = 0;  // the case the adapter must answer next
    std::size_t sent = 0;  // cases written (or queued in outbuf)
    std::vector<char> retried(n, 0);
    Clock::time_point head_since = Clock::now();
    while (head < n) {
      if (child.pid <= 0) {
        start();
        head_since = Clock::now();
      }
      while (sent < n && sent - head < std::max<std::size_t>(o.window, 1))
        outbuf += to_line(to_json(cases[sent++]));
      const double seconds = case_timeout(cases[head]);
      const auto timeout =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
      if (ready.empty() && !stdout_eof) pump(head_since + timeout);
      while (!ready.empty() && head < n) {
        std::string line = std::move(ready.front());
        ready.pop_front();
        if (!is_protocol_line(line)) {
          note_print(std::move(line));
          continue;
        }
        Response r = finished(Response::Status::reply, "");
        r.reply = parse_reply(line, cases[head]);
        if (!r.reply.printed.empty())
          printed +=
              static_cast<std::size_t>(std::count(r.reply.printed.begin(), r.reply.printed.end(), '\n')) + 1;
        sink(head++, std::move(r));
        head_since = Clock::now();
      }
      if (head >= n) break;
      if (stdout_eof) {
        const int status = kill_child();
        const std::string why = death(status);
        if (head < sent && (!options.retry_crashes || retried[head] != 0)) {
          sink(head, finished(Response::Status::crash, why));
          ++head;
        } else if (head < sent) {
          retried[head] = 1;
        }
        sent = head;
        continue;
      }
      if (Clock::now() >= head_since + timeout) {
        kill_child();
        sink(head, finished(Response::Status::timeout, "no reply within " + format_seconds(seconds) +
                                                           "; the adapter was killed and restarted"));
        ++head;
        sent = head;
        head_since = Clock::now();
      }
    }
  }
};

ProcessEngine::ProcessEngine(ProcessOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.argv.empty()) throw AdapterError("no adapter command");
  impl_->o = std::move(options);
  // Writing to an adapter that just died must be an error code, not a signal that kills verigrad.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    std::signal(SIGPIPE, SIG_IGN);
  take_adapter_on_signals();
}

ProcessEngine::~ProcessEngine() {
  try {
    impl_->stop();
  } catch (...) {  // a destructor must not throw: the process group is killed either way
    impl_->kill_child();
  }
}

const Hello& ProcessEngine::hello() {
  if (!impl_->hello) impl_->start();
  return *impl_->hello;
}

void ProcessEngine::run(const std::vector<Case>& cases, const Sink& sink, const RunOptions& options) {
  hello();
  try {
    impl_->run(cases, sink, options);
  } catch (...) {
    impl_->kill_child();
    throw;
  }
}

std::vector<std::string> ProcessEngine::startup_output() const { return impl_->startup; }
std::string ProcessEngine::kind() const { return impl_->o.kind; }
std::size_t ProcessEngine::restarts() const { return impl_->starts > 0 ? impl_->starts - 1 : 0; }
std::size_t ProcessEngine::printed_lines() const { return impl_->printed; }

}  // namespace verigrad::verify::conform
