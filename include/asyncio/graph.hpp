// asyncio.graph (Python 3.14): what a task or future is doing and who waits for it.
//   asyncio::print_call_graph();               // the current task, to the log sink
//   std::string text = asyncio::format_call_graph(task);
// A task's call stack is its chain of Coro frames, innermost first, each at the co_await it
// is suspended on; "awaited by" lists the tasks and futures waiting for it (a task awaiting
// it, gather, TaskGroup's parent task, shield's outer future). Read them on the loop's thread;
// from another thread use EventLoop::format_all_tasks_threadsafe().
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/task.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// One coroutine frame of a call stack (3.14's FrameCallGraphEntry holds the frame itself).
struct FrameCallGraphEntry {
  detail::Site function;  // the coroutine function: its name and where it is defined
  detail::Site where;     // the co_await it is suspended on; for the running frame,
                                    // the capture call. Empty without await sites.
  /// The function's readable name: "ns::fetch" for "asyncio::Coro<int> ns::fetch(int)".
  std::string name() const;
};

/// 3.14's FutureCallGraph: the future (a task's state, or a plain future's), its call stack
/// (empty for a plain future or a done task) and the graphs of those awaiting it.
struct FutureCallGraph {
  std::shared_ptr<detail::FutureStateBase> future;
  std::vector<FrameCallGraphEntry> call_stack;
  std::vector<FutureCallGraph> awaited_by;

  bool is_task() const noexcept { return future && future->task != nullptr; }
};

namespace detail {
FutureCallGraph capture_call_graph(const FuturePtr& future, Site where);
std::string format_call_graph(const FuturePtr& future, Site where);
void print_call_graph(const FuturePtr& future, Site where);
}  // namespace detail

/// The current task's graph, its innermost frame at this call; empty outside a task;
/// RuntimeError("no running event loop") outside a loop.
std::optional<FutureCallGraph> capture_call_graph(
    detail::Site where = detail::Site::current());
/// Any task's or future's graph (RuntimeError for an empty Future).
template <class T>
FutureCallGraph capture_call_graph(
    const Future<T>& future, detail::Site where = detail::Site::current()) {
  return detail::capture_call_graph(future.state_ptr(), where);
}
FutureCallGraph capture_call_graph(
    const TaskRef& task, detail::Site where = detail::Site::current());

/// 3.14's text: "* Task(name='...', id=0x...)", "  + Call stack:", "  |   File '...', line N,
/// in async name()", "  + Awaited by:" and the awaiting graphs indented by four spaces.
std::string format_call_graph(const FutureCallGraph& graph);
/// The current task's; "" outside a task.
std::string format_call_graph(detail::Site where = detail::Site::current());
template <class T>
std::string format_call_graph(const Future<T>& future,
                              detail::Site where = detail::Site::current()) {
  return detail::format_call_graph(future.state_ptr(), where);
}
std::string format_call_graph(const TaskRef& task,
                              detail::Site where = detail::Site::current());

/// Logs format_call_graph's text through the log sink, at warning level so that the default
/// sink shows it (Python prints it to stdout); nothing outside a task.
void print_call_graph(detail::Site where = detail::Site::current());
template <class T>
void print_call_graph(const Future<T>& future,
                      detail::Site where = detail::Site::current()) {
  detail::print_call_graph(future.state_ptr(), where);
}
void print_call_graph(const TaskRef& task,
                      detail::Site where = detail::Site::current());

}  // namespace asyncio
ASYNCIO_CPP_API_END
