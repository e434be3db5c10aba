// Adopting a child that Boost.Process v2 started: adopt_process turns it into the same
// asyncio::Process that create_subprocess_exec gives, watched and reaped by the loop's child
// watcher, with the host's Asio pipes as its streams. Not part of asyncio.hpp, since it pulls in
// Boost.Process (header-only in Boost 1.81; its headers need Boost.Filesystem's headers only).
#pragma once

#include <asyncio/detail/asio_version.hpp>
#include <asyncio/detail/export.hpp>
#include <asyncio/subprocess.hpp>

#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// Our ends of the child's stdio pipes, as the host made them for bp::process_stdio. Each one
/// given becomes the Process's stdin_ / stdout_ / stderr_ stream; its fd is taken out of the
/// Asio pipe (release()), which is left closed. A stream not given is not a pipe of ours.
struct adopted_stdio {
  std::optional<boost::asio::writable_pipe> stdin_pipe;
  std::optional<boost::asio::readable_pipe> stdout_pipe;
  std::optional<boost::asio::readable_pipe> stderr_pipe;
  std::size_t limit = 64 * 1024;  // the StreamReaders' limit, as SubprocessOptions::limit
};

namespace detail {
/// A child taken from its process object: its pid and our pipe ends (-1: none).
struct AdoptedChild {
  int pid = -1;
  std::array<int, 3> fds{-1, -1, -1};
};
/// Raises before anything is taken: RuntimeError for a closed loop, std::invalid_argument for
/// an empty (moved-from) process, ChildProcessError for one already waited for.
void check_adoptable(EventLoop& loop, int pid, bool waited_by_owner);
/// Releases the pipes' fds; on failure none stays taken and the error is raised.
std::array<int, 3> release_pipes(adopted_stdio& stdio);
void close_fds(const std::array<int, 3>& fds) noexcept;
/// From here on the child and fds are ours, whatever happens: they are reaped and closed.
Coro<Process> adopt_child_process(EventLoop& loop, AdoptedChild child, std::size_t limit);
Coro<std::shared_ptr<SubprocessTransport>> adopt_subprocess_transport(
    EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, int pid, std::array<int, 3> fds);
void abandon_child(const AdoptedChild& child) noexcept;  // kills, reaps, closes the fds

template <class Executor>
AdoptedChild take_child(EventLoop& loop, boost::process::v2::basic_process<Executor>& proc,
                        adopted_stdio& stdio) {
  namespace bp = boost::process::v2;
  check_adoptable(loop, static_cast<int>(proc.id()),
                  !bp::process_is_running(proc.native_exit_code()));
  AdoptedChild child;
  child.fds = release_pipes(stdio);
  // detach() empties the process object, whose destructor would otherwise kill and reap the
  // child; the handle it returns only closes Boost's pidfd when it goes.
  try {
    child.pid = static_cast<int>(proc.detach().id());
  } catch (...) {  // nothing taken after all: the pipes' fds are closed, not leaked
    close_fds(child.fds);
    throw;
  }
  return child;
}

template <class P>
Coro<std::pair<std::shared_ptr<SubprocessTransport>, std::shared_ptr<P>>> pair_with_protocol(
    Coro<std::shared_ptr<SubprocessTransport>> started, std::shared_ptr<P> protocol) {
  std::shared_ptr<SubprocessTransport> transport = co_await std::move(started);
  co_return std::pair(std::move(transport), std::move(protocol));
}
}  // namespace detail

/// The Process for a child the host started with Boost.Process v2, as create_subprocess_exec
/// would give it: wait(), communicate(), send_signal(), terminate(), kill(), returncode() and
/// pid behave the same, and the loop's child watcher is its only reaper. Call it on the loop's
/// thread. The child is taken at the call (not when the result is awaited): `proc` is left
/// empty and the pipes given are closed. If the call raises, nothing was taken and `proc`
/// still owns its child (Boost's destructor kills and reaps it). Raises RuntimeError on a
/// closed loop, std::invalid_argument for an empty process, and ChildProcessError for a child
/// already waited for (by Boost.Process or by anyone else). The process must have no
/// async_wait in progress.
template <class Executor>
Coro<Process> adopt_process(EventLoop& loop, boost::process::v2::basic_process<Executor>&& proc,
                            adopted_stdio stdio = {}) {
  detail::AdoptedChild child = detail::take_child(loop, proc, stdio);
  return detail::adopt_child_process(loop, child, stdio.limit);
}

/// The transport and protocol form, as loop.subprocess_exec gives them: the factory's protocol
/// hears the child's pipes and its exit. Same rules as adopt_process.
template <class Factory, class Executor>
auto adopt_subprocess(EventLoop& loop, Factory factory,
                      boost::process::v2::basic_process<Executor>&& proc,
                      adopted_stdio stdio = {}) {
  auto protocol = factory();  // first: should it raise, nothing is taken
  detail::AdoptedChild child = detail::take_child(loop, proc, stdio);
  Coro<std::shared_ptr<SubprocessTransport>> started =
      detail::adopt_subprocess_transport(loop, protocol, child.pid, child.fds);
  return detail::pair_with_protocol(std::move(started), std::move(protocol));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
