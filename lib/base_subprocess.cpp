// base_subprocess.BaseSubprocessTransport with unix_events' process start: the child's
// pipes become pipe transports, and the protocol hears of data, pipe closes and the exit
// in asyncio's order, with connection_lost last.
#include "child_watcher.hpp"
#include "debug_logs.hpp"
#include "linux/sigpipe.hpp"
#include "linux/spawn.hpp"
#include "loop_resource.hpp"
#include "unix_pipes.hpp"

#include <asyncio/futures.hpp>
#include <asyncio/log.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/unix_events.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <functional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace asyncio::detail {

namespace {

// Fds made for one launch; whatever is not handed on is closed.
struct OwnedFd {
  int fd = -1;
  OwnedFd() = default;
  explicit OwnedFd(int f) : fd(f) {}
  OwnedFd(OwnedFd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  OwnedFd& operator=(OwnedFd&& o) noexcept {
    reset();
    fd = std::exchange(o.fd, -1);
    return *this;
  }
  ~OwnedFd() { reset(); }
  void reset() noexcept {
    if (fd >= 0) ::close(std::exchange(fd, -1));
  }
  int release() noexcept { return std::exchange(fd, -1); }
};

[[noreturn]] void throw_errno() {
  throw_os_error(errno);
}

// The child's stdio as Popen arranges it: our ends of pipes, and what the child gets.
struct ChildStdio {
  std::array<OwnedFd, 3> parent_end;  // for PIPE: the end we keep
  std::array<OwnedFd, 3> child_end;   // the child's ends of pipes: closed after the spawn
  int child_fd[3] = {-1, -1, -1};
  bool devnull[3] = {false, false, false};  // opened by the child (SpawnRequest::devnull)
};

void make_pipe(ChildStdio& io, int target) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno();
  bool child_reads = target == 0;
  io.parent_end[target] = OwnedFd(child_reads ? p[1] : p[0]);
  io.child_end[target] = OwnedFd(child_reads ? p[0] : p[1]);
  io.child_fd[target] = io.child_end[target].fd;
}

void plan_stdio(ChildStdio& io, int target, int how) {
  if (how == PIPE) {
    make_pipe(io, target);
  } else if (how == DEVNULL) {
    io.devnull[target] = true;
  } else if (how == STDOUT) {
    if (target != 2) throw std::invalid_argument("STDOUT is only valid for stderr");
    io.devnull[2] = io.devnull[1];
    io.child_fd[2] = io.child_fd[1] >= 0 ? io.child_fd[1] : 1;
  } else if (how == INHERIT) {
    io.child_fd[target] = -1;
  } else if (how >= 0) {
    io.child_fd[target] = how;
  } else {
    throw std::invalid_argument("invalid stdio value: " + std::to_string(how));
  }
}

class UnixSubprocessTransport;

// Forwards one pipe's events to the subprocess transport (WriteSubprocessPipeProto and
// ReadSubprocessPipeProto).
class SubprocessPipeProtocol final : public Protocol {
 public:
  SubprocessPipeProtocol(std::shared_ptr<UnixSubprocessTransport> proc, int fd)
      : proc_(std::move(proc)), fd_(fd) {}
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    pipe = std::move(transport);
  }
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override;
  void resume_writing() override;
  void data_received(std::string_view data) override;

  std::shared_ptr<BaseTransport> pipe;
  bool disconnected = false;

 private:
  std::shared_ptr<UnixSubprocessTransport> proc_;  // dropped at connection_lost
  int fd_;
};

class UnixSubprocessTransport final : public SubprocessTransport, LoopResource {
 public:
  UnixSubprocessTransport(EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol)
      : LoopResource(loop), loop_(loop), protocol_(std::move(protocol)) {}
  ~UnixSubprocessTransport() override {
    for (int fd : parent_fds_)  // connect_pipes never ran (the loop closed first)
      if (fd >= 0) ::close(fd);
  }

  // Starts the child; the pipe transports follow in a task, which settles `waiter`.
  void start(std::weak_ptr<UnixSubprocessTransport> self, std::vector<std::string> argv,
             const SubprocessOptions& options, Future<void> waiter);
  // The same for a child started by someone else (adopt_process): `fds` are our ends of its
  // stdin, stdout and stderr pipes (-1: none), owned from here on.
  void adopt(std::weak_ptr<UnixSubprocessTransport> self, int pid, std::array<int, 3> fds,
             Future<void> waiter);

  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override {
    if (fd < 0 || fd > 2 || !pipes_[fd]) return nullptr;
    return pipes_[fd]->pipe;
  }
  void send_signal(int sig) override {
    check_proc();
    if (::kill(pid_, sig) != 0) throw_errno();
  }
  void terminate() override { send_signal(SIGTERM); }
  void kill() override { send_signal(SIGKILL); }
  void close() override;
  void close_with_loop() noexcept override;
  bool is_closing() const override { return closed_; }
  void set_protocol(std::shared_ptr<BaseProtocol> p) override {
    protocol_ = std::dynamic_pointer_cast<SubprocessProtocol>(p);
  }
  std::shared_ptr<BaseProtocol> get_protocol() const override { return protocol_; }
  std::string repr() const override;

  Coro<int> wait_exit();
  void mark_reaped() noexcept { reaped_ = true; }  // from here on, the pid is not ours
  void process_exited(int returncode);
  void pipe_connection_lost(int fd, std::exception_ptr exc);
  void pipe_data_received(int fd, std::string_view data);
  void protocol_pause_writing() {
    if (protocol_) protocol_->pause_writing();
  }
  void protocol_resume_writing() {
    if (protocol_) protocol_->resume_writing();
  }

 private:
  void connect_pipes_soon(Future<void> waiter);
  Coro<void> connect_pipes(std::shared_ptr<UnixSubprocessTransport> self, Future<void> waiter);
  void call(std::function<void()> fn);
  void try_finish();
  void call_connection_lost();
  // After the child is reaped its pid may belong to another process: send nothing.
  void check_proc() const {
    if (reaped_ || pid_ <= 0) throw ProcessLookupError("");  // a bare ProcessLookupError()
  }

  EventLoop& loop_;
  std::shared_ptr<SubprocessProtocol> protocol_;
  int pid_ = -1;
  std::optional<int> returncode_;
  bool closed_ = false;
  bool finished_ = false;
  bool wanted_[3] = {false, false, false};
  std::array<int, 3> parent_fds_{-1, -1, -1};
  std::shared_ptr<SubprocessPipeProtocol> pipes_[3];
  std::optional<std::vector<std::function<void()>>> pending_calls_{std::in_place};
  std::vector<Future<int>> exit_waiters_;
  std::weak_ptr<UnixSubprocessTransport> self_;
  bool connect_failed_ = false;
  bool reaped_ = false;
  bool closed_with_loop_ = false;
};

void SubprocessPipeProtocol::connection_lost(std::exception_ptr exc) {
  disconnected = true;
  auto proc = std::move(proc_);
  if (proc) proc->pipe_connection_lost(fd_, exc);
}
void SubprocessPipeProtocol::pause_writing() {
  if (proc_) proc_->protocol_pause_writing();
}
void SubprocessPipeProtocol::resume_writing() {
  if (proc_) proc_->protocol_resume_writing();
}
void SubprocessPipeProtocol::data_received(std::string_view data) {
  if (proc_) proc_->pipe_data_received(fd_, data);
}

std::string UnixSubprocessTransport::repr() const {
  std::string out = "<_UnixSubprocessTransport";
  if (closed_) out += " closed";
  if (pid_ > 0) out += " pid=" + std::to_string(pid_);
  out += returncode_ ? " returncode=" + std::to_string(*returncode_) : " running";
  return out + ">";
}

void UnixSubprocessTransport::start(std::weak_ptr<UnixSubprocessTransport> self,
                                    std::vector<std::string> argv, const SubprocessOptions& o,
                                    Future<void> waiter) {
  self_ = self;
  ChildStdio io;
  int how[3] = {o.stdin_.value_or(PIPE), o.stdout_.value_or(PIPE), o.stderr_.value_or(PIPE)};
  for (int fd = 0; fd < 3; ++fd) plan_stdio(io, fd, how[fd]);
  SpawnRequest request;
  request.argv = std::move(argv);
  request.env = o.env ? &*o.env : nullptr;
  request.cwd = o.cwd ? &*o.cwd : nullptr;
  for (int fd = 0; fd < 3; ++fd) {
    request.stdio[fd] = io.child_fd[fd];
    request.devnull[fd] = io.devnull[fd];
  }
  request.pass_fds = o.pass_fds;
  request.new_session = o.start_new_session;
  request.process_group = o.process_group;
  ignore_sigpipe();  // its stdin pipe
  pid_ = spawn_process(request);
  for (int fd = 0; fd < 3; ++fd) {
    wanted_[fd] = how[fd] == PIPE;
    if (wanted_[fd]) parent_fds_[fd] = io.parent_end[fd].release();
  }
  connect_pipes_soon(std::move(waiter));
}

void UnixSubprocessTransport::adopt(std::weak_ptr<UnixSubprocessTransport> self, int pid,
                                    std::array<int, 3> fds, Future<void> waiter) {
  self_ = self;
  pid_ = pid;
  parent_fds_ = fds;  // closed by connect_pipes, or by our destructor if that never runs
  for (int fd = 0; fd < 3; ++fd) wanted_[fd] = fds[fd] >= 0;
  if (loop_.get_debug()) log(LogLevel::debug, "process " + std::to_string(pid_) + " created");
  ignore_sigpipe();  // its stdin pipe
  connect_pipes_soon(std::move(waiter));
}

void UnixSubprocessTransport::connect_pipes_soon(Future<void> waiter) {
  loop_.create_task(connect_pipes(self_.lock(), std::move(waiter)));
}

Coro<void> UnixSubprocessTransport::connect_pipes(std::shared_ptr<UnixSubprocessTransport> self,
                                                  Future<void> waiter) {
  std::exception_ptr failure;
  try {
    for (int fd = 0; fd < 3; ++fd) {
      if (!wanted_[fd]) continue;
      auto proto = std::make_shared<SubprocessPipeProtocol>(self, fd);
      int pipe_fd = std::exchange(parent_fds_[fd], -1);
      if (fd == 0)
        co_await make_write_pipe_transport(loop_, pipe_fd, proto);
      else
        co_await make_read_pipe_transport(loop_, pipe_fd, proto);
      pipes_[fd] = proto;
    }
    loop_.call_soon([self] {
      if (self->protocol_) self->protocol_->connection_made(self);
    });
    for (auto& fn : *pending_calls_) loop_.call_soon(std::move(fn));
    pending_calls_.reset();
  } catch (...) {
    failure = std::current_exception();
  }
  for (int& fd : parent_fds_)
    if (fd >= 0) ::close(std::exchange(fd, -1));
  if (failure) {  // the protocol never saw connection_made: it hears nothing more
    connect_failed_ = true;
    pending_calls_.reset();
    try_finish();
  }
  if (waiter.cancelled()) co_return;
  if (failure)
    waiter.set_exception(failure);
  else
    waiter.set_result();
}

void UnixSubprocessTransport::call(std::function<void()> fn) {
  if (connect_failed_) return;
  if (pending_calls_)
    pending_calls_->push_back(std::move(fn));
  else
    loop_.call_soon(std::move(fn));
}

void UnixSubprocessTransport::process_exited(int returncode) {
  if (loop_.get_debug())
    log(LogLevel::info, repr() + " exited with return code " + std::to_string(returncode));
  returncode_ = returncode;
  call([p = protocol_] {
    if (p) p->process_exited();
  });
  try_finish();
}

void UnixSubprocessTransport::pipe_connection_lost(int fd, std::exception_ptr exc) {
  call([p = protocol_, fd, exc] {
    if (p) p->pipe_connection_lost(fd, exc);
  });
  try_finish();
}

void UnixSubprocessTransport::pipe_data_received(int fd, std::string_view data) {
  call([p = protocol_, fd, bytes = std::string(data)] {
    if (p) p->pipe_data_received(fd, bytes);
  });
}

void UnixSubprocessTransport::try_finish() {
  if (!returncode_ || finished_) return;
  for (int fd = 0; fd < 3; ++fd) {
    if (!wanted_[fd]) continue;
    bool done = pipes_[fd] ? pipes_[fd]->disconnected : connect_failed_;
    if (!done) return;
  }
  finished_ = true;
  call([self = self_.lock()] { self->call_connection_lost(); });
}

void UnixSubprocessTransport::call_connection_lost() {
  auto protocol = std::move(protocol_);
  auto waiters = std::move(exit_waiters_);
  struct WakeWaiters {  // even if connection_lost throws, as asyncio's finally
    std::vector<Future<int>>& waiters;
    int code;
    ~WakeWaiters() {
      for (auto& w : waiters)
        if (!w.cancelled()) w.set_result(code);
    }
  } wake{waiters, *returncode_};
  if (protocol && !connect_failed_) protocol->connection_lost(nullptr);
}

Coro<int> UnixSubprocessTransport::wait_exit() {
  if (returncode_) co_return *returncode_;
  if (closed_with_loop_) throw RuntimeError("Event loop is closed");
  Future<int> waiter = loop_.create_future<int>();
  exit_waiters_.push_back(waiter);
  co_return co_await waiter;
}

void UnixSubprocessTransport::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& proto : pipes_)
    if (proto && proto->pipe) proto->pipe->close();
  if (pid_ > 0 && !reaped_) {
    if (loop_.get_debug()) log(LogLevel::warning, "Close running child process: kill " + repr());
    ::kill(pid_, SIGKILL);  // not yet reaped, so the pid is still the child's
  }
}

// The loop is closing: asyncio's __del__ of a running child's transport, "Close running child
// process: kill". The child watcher's close() then hands the child to a reaper thread, so the
// pid is no longer ours to signal. The pipes close as resources of their own.
void UnixSubprocessTransport::close_with_loop() noexcept {
  if (!closed_) warn_unclosed(*this);
  closed_ = true;
  closed_with_loop_ = true;
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
  reaped_ = true;
  exit_waiters_.clear();
  pending_calls_.reset();
  auto doomed = std::make_tuple(std::move(protocol_), std::move(pipes_[0]), std::move(pipes_[1]),
                                std::move(pipes_[2]));  // may free this
}

}  // namespace

Coro<int> subprocess_wait(SubprocessTransport& transport) {
  return dynamic_cast<UnixSubprocessTransport&>(transport).wait_exit();
}

namespace {

// Hands the child to the loop's watcher, which reaps it whatever happens to the transport.
void watch_child(EventLoop& loop, ChildWatcher& watcher,
                 const std::shared_ptr<UnixSubprocessTransport>& transport) {
  try {
    watcher.add_child_handler(transport->get_pid(), [&loop, transport](int, int returncode) {
      transport->mark_reaped();
      loop.call_soon_threadsafe([transport, returncode] { transport->process_exited(returncode); });
    });
  } catch (...) {
    ::kill(transport->get_pid(), SIGKILL);  // nobody would reap it otherwise
    reap_in_background(transport->get_pid());
    throw;
  }
}

// Waits for the pipe transports; if they fail, the child is killed and reaped first.
Coro<std::shared_ptr<SubprocessTransport>> finish_start(
    std::shared_ptr<UnixSubprocessTransport> transport, Future<void> waiter) {
  if (std::exception_ptr failure = co_await await_outcome(waiter)) {
    transport->close();
    co_await transport->wait_exit();
    std::rethrow_exception(failure);
  }
  co_return transport;
}

void close_pipe_ends(const std::array<int, 3>& fds) noexcept {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

}  // namespace

Coro<std::shared_ptr<SubprocessTransport>> make_subprocess_transport(
    EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, std::vector<std::string> argv,
    SubprocessOptions options, bool shell) {
  // asyncio names the program, never its arguments: they may hold secrets.
  std::string title;
  std::string program;
  if (loop.get_debug()) {
    title = subprocess_title(argv, shell);
    program = shell ? argv.back() : argv.front();  // the command, for a shell
    log_subprocess_start(title, options);
  }
  ChildWatcher& watcher = child_watcher(loop);
  Future<void> waiter = loop.create_future<void>();
  auto transport = std::make_shared<UnixSubprocessTransport>(loop, std::move(protocol));
  transport->start(transport, std::move(argv), options, waiter);
  if (loop.get_debug())
    log(LogLevel::debug, "process " + py_str_repr(program) + " created: pid " +
                             std::to_string(transport->get_pid()));
  watch_child(loop, watcher, transport);
  auto made = co_await finish_start(std::move(transport), std::move(waiter));
  if (loop.get_debug()) log_subprocess_created(title, *made);
  co_return made;
}

// adopt_process (process_adopt.hpp): the library watches a child someone else started.
Coro<std::shared_ptr<SubprocessTransport>> adopt_subprocess_transport(
    EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, int pid,
    std::array<int, 3> fds) {
  std::shared_ptr<UnixSubprocessTransport> transport;
  Future<void> waiter;
  ChildWatcher* watcher = nullptr;
  try {
    watcher = &child_watcher(loop);
    waiter = loop.create_future<void>();
    transport = std::make_shared<UnixSubprocessTransport>(loop, std::move(protocol));
    // From here the transport owns the fds (and closes them if it goes unused).
    transport->adopt(transport, pid, std::exchange(fds, std::array<int, 3>{-1, -1, -1}), waiter);
  } catch (...) {
    close_pipe_ends(fds);
    ::kill(pid, SIGKILL);  // the watcher never saw it: nobody would reap it otherwise
    reap_in_background(pid);
    throw;
  }
  watch_child(loop, *watcher, transport);  // kills and reaps the child itself if it fails
  return finish_start(std::move(transport), std::move(waiter));
}

}  // namespace asyncio::detail
