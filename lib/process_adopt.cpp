// adopt_process: a Boost.Process v2 child becomes a Process. The transport is the one the
// library's own children get (base_subprocess.cpp); only the checks and the hand-over are here.
#include <asyncio/process_adopt.hpp>

#include "child_watcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace asyncio::detail {

void check_adoptable(EventLoop& loop, int pid, bool waited_by_owner) {
  if (loop.is_closed()) throw RuntimeError("Event loop is closed");
  if (pid <= 0) throw std::invalid_argument("adopt_process: the process object holds no child");
  if (waited_by_owner)  // Boost.Process reaped it: the pid may already name another process
    throw_os_error(ECHILD,
                   "adopt_process: Boost.Process already waited for pid " + std::to_string(pid));
  siginfo_t info{};
  // WNOWAIT: a child that already exited stays a zombie, for the watcher to reap.
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) throw_os_error(errno);  // ECHILD: not our child, or reaped already
  }
}

namespace {
template <class Pipe>
int release_fd(std::optional<Pipe>& pipe, boost::system::error_code& ec) {
  if (!pipe || !pipe->is_open() || ec) return -1;
  return pipe->release(ec);
}
}  // namespace

std::array<int, 3> release_pipes(adopted_stdio& stdio) {
  boost::system::error_code ec;
  std::array<int, 3> fds{release_fd(stdio.stdin_pipe, ec), release_fd(stdio.stdout_pipe, ec),
                         release_fd(stdio.stderr_pipe, ec)};
  if (ec) {
    close_fds(fds);
    throw_os_error(ec);
  }
  return fds;
}

void close_fds(const std::array<int, 3>& fds) noexcept {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

void abandon_child(const AdoptedChild& child) noexcept {
  close_fds(child.fds);
  ::kill(child.pid, SIGKILL);  // not reaped yet, so the pid is still the child's
  reap_in_background(child.pid);
}

namespace {
Coro<Process> make_process(EventLoop& loop, Coro<std::shared_ptr<SubprocessTransport>> started,
                           std::shared_ptr<SubprocessStreamProtocol> protocol) {
  std::shared_ptr<SubprocessTransport> transport = co_await std::move(started);
  co_return Process(std::move(transport), std::move(protocol), loop);
}
}  // namespace

Coro<Process> adopt_child_process(EventLoop& loop, AdoptedChild child, std::size_t limit) {
  std::shared_ptr<SubprocessStreamProtocol> protocol;
  try {
    protocol = std::make_shared<SubprocessStreamProtocol>(limit, loop);
  } catch (...) {
    abandon_child(child);
    throw;
  }
  Coro<std::shared_ptr<SubprocessTransport>> started =
      adopt_subprocess_transport(loop, protocol, child.pid, child.fds);
  return make_process(loop, std::move(started), std::move(protocol));
}

}  // namespace asyncio::detail
