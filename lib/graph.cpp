// asyncio.graph (3.14) over the chain of Coro frames a task already keeps for resumption, and
// the done callbacks that already name who waits (docs/04-architecture.md, "Observability").
#include <asyncio/graph.hpp>
#include <asyncio/log.hpp>
#include <asyncio/threads.hpp>

#include "loop_impl.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string_view>
#include <unordered_set>

namespace asyncio {

namespace detail {

namespace {

Site origin_of(const CoroPromiseBase& promise) noexcept {
#if defined(__cpp_lib_source_location)
  return promise.origin.where;
#else
  (void)promise;
  return {};
#endif
}

// From `frame` up through each awaiting frame to the task's root, innermost first. The
// innermost is at `innermost` when given (the capture call of the running task).
std::vector<FrameCallGraphEntry> frames_from(void* frame, const Site* innermost) {
  std::vector<FrameCallGraphEntry> stack;
  for (; frame != nullptr; frame = promise_of_frame(frame).continuation.address()) {
    const CoroPromiseBase& promise = promise_of_frame(frame);
    // A frame that never ran stands at its first line, as a new coroutine's frame does.
    Site where = promise.started ? promise.await_site : origin_of(promise);
    if (stack.empty() && innermost != nullptr) where = *innermost;
    stack.push_back(FrameCallGraphEntry{origin_of(promise), where});
  }
  return stack;
}

std::vector<FrameCallGraphEntry> stack_of(const TaskCore& core, Site where) {
  if (core.state->done() || core.abandoned) return {};
  if (current_task_core() == &core) {
#if defined(ASYNCIO_CPP_RECORD_AWAIT_SITES)
    return frames_from(running_frame, &where);
#else
    return {FrameCallGraphEntry{where, where}};  // no chain is kept: only this call's site
#endif
  }
  // Null while the task is set aside by an eager task's first step: its frames are running.
  return core.resume_point ? frames_from(core.resume_point.address(), nullptr)
                           : std::vector<FrameCallGraphEntry>{};
}

using Visited = std::unordered_set<const FutureStateBase*>;

FutureCallGraph build(const FuturePtr& future, Site where, Visited& visited);

// Who waits for `future`: every done callback that names its target (a task's wake-up,
// TaskGroup's parent task; gather's and shield's outer futures). As 3.14, which records the
// task that called gather or shield, an outer future stands for the tasks awaiting it.
void add_awaiters(const FutureStateBase& future, Site where, Visited& visited,
                  std::vector<FutureCallGraph>& out) {
  auto add = [&](const FutureStateBase::DoneEntry& entry) {
    if (!entry.target || visited.count(entry.target.get()) != 0) return;  // on the path
    if (entry.target->task == nullptr) {
      visited.insert(entry.target.get());
      add_awaiters(*entry.target, where, visited, out);
      visited.erase(entry.target.get());
      return;
    }
    for (const FutureCallGraph& known : out) {
      if (known.future == entry.target) return;  // a task found through two outer futures
    }
    out.push_back(build(entry.target, where, visited));
  };
  if (future.first_callback) add(*future.first_callback);
  for (const auto& entry : future.callbacks) add(entry);
}

FutureCallGraph build(const FuturePtr& future, Site where, Visited& visited) {
  FutureCallGraph graph{future, {}, {}};
  // The futures on the path from the root: a cycle cannot happen by construction, but a
  // graph read must end anyway.
  visited.insert(future.get());
  if (future->task != nullptr) graph.call_stack = stack_of(*future->task, where);
  add_awaiters(*future, where, visited, graph.awaited_by);
  visited.erase(future.get());
  return graph;
}

// Frames are read only on the loop's thread, where no step runs meanwhile.
void check_loop_thread(const FutureStateBase& future) {
  EventLoop* loop = future.anchor->loop;
  if (loop != nullptr && loop->is_running() && running_loop_or_null() != loop) {
    throw RuntimeError(
        "a call graph is read on its loop's thread; use EventLoop::format_all_tasks_threadsafe()");
  }
}

// Python's repr() of a str, for names and file names.
void append_str_repr(std::string& out, std::string_view text) {
  bool single =
      text.find('\'') == std::string_view::npos || text.find('"') != std::string_view::npos;
  char quote = single ? '\'' : '"';
  out += quote;
  for (unsigned char c : text) {
    if (c == quote || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
}

std::string hex_id(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#" PRIxPTR, reinterpret_cast<std::uintptr_t>(p));
  return buf;
}

void render(const FutureCallGraph& graph, std::size_t level, std::string& out) {
  std::string indent(level * 4, ' ');
  auto line = [&](std::string_view text) {
    if (!out.empty()) out += '\n';
    out += indent;
    out += text;
  };
  std::string head;
  if (graph.is_task()) {
    head = "* Task(name=";
    append_str_repr(head, graph.future->task->get_name());
    head += ", id=" + hex_id(graph.future.get()) + ")";
  } else {
    head = "* Future(id=" + hex_id(graph.future.get()) + ")";
  }
  line(head);
  if (!graph.call_stack.empty()) line("  + Call stack:");
  for (const FrameCallGraphEntry& entry : graph.call_stack) {
    // Without a recorded await site, the function's own line stands in.
    const Site& at = entry.where.line() != 0 ? entry.where : entry.function;
    std::string text = "  |   File ";
    append_str_repr(text, at.file_name());
    text += ", line " + std::to_string(at.line()) + ", in async " + entry.name() + "()";
    line(text);
  }
  if (!graph.awaited_by.empty()) line("  + Awaited by:");
  for (const FutureCallGraph& parent : graph.awaited_by) render(parent, level + 1, out);
}

// Skips a balanced group that starts at `i` ('(' or '<'); returns the index after it.
std::size_t skip_group(std::string_view s, std::size_t i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '(' || s[i] == '<' || s[i] == '[') ++depth;
    if ((s[i] == ')' || s[i] == '>' || s[i] == ']') && --depth == 0) return i + 1;
  }
  return s.size();
}

}  // namespace

FutureCallGraph capture_call_graph(const FuturePtr& future, Site where) {
  if (!future) throw RuntimeError("Future object is not initialized.");
  check_loop_thread(*future);
  Visited visited;
  return build(future, where, visited);
}

std::string format_call_graph(const FuturePtr& future, Site where) {
  return asyncio::format_call_graph(capture_call_graph(future, where));
}

void print_call_graph(const FuturePtr& future, Site where) {
  log(LogLevel::warning, format_call_graph(future, where));
}

}  // namespace detail

std::string FrameCallGraphEntry::name() const {
  // GCC: "asyncio::Coro<int> ns::fetch(int) [with T = int]", and for a lambda inside a
  // coroutine "outer(outer()::_Z5outerv.Frame*)::<lambda()>": the qualified name is kept,
  // the return type, template arguments' legend and every parameter list dropped.
  std::string_view full = function.function_name();
  if (auto with = full.find(" [with "); with != std::string_view::npos) full = full.substr(0, with);
  std::size_t start = 0;
  for (std::size_t i = 0; i < full.size();) {  // the return type ends at the last outer space
    if (full[i] == '(' || full[i] == '<' || full[i] == '[') {
      if (full[i] == '(') break;
      i = detail::skip_group(full, i);
    } else {
      if (full[i] == ' ') start = i + 1;
      ++i;
    }
  }
  std::string name;
  for (std::size_t i = start; i < full.size();) {
    if (full[i] == '(') {
      i = detail::skip_group(full, i);  // a parameter list, or GCC's "(...Frame*)"
    } else if (full[i] == '<' || full[i] == '[') {
      std::size_t end = detail::skip_group(full, i);
      name.append(full.substr(i, end - i));
      i = end;
    } else if (full[i] == ' ') {
      break;  // " const", " noexcept" after the parameters
    } else {
      name += full[i++];
    }
  }
  for (std::string_view anon : {"{anonymous}::", "(anonymous namespace)::"}) {
    if (name.starts_with(anon)) name.erase(0, anon.size());
  }
  return name.empty() ? "<unknown>" : name;
}

std::optional<FutureCallGraph> capture_call_graph(detail::Site where) {
  (void)get_running_loop();  // RuntimeError outside a loop, as 3.14
  detail::TaskCore* core = detail::current_task_core();
  if (core == nullptr) return std::nullopt;
  return detail::capture_call_graph(core->state->shared_from_this(), where);
}

FutureCallGraph capture_call_graph(const TaskRef& task, detail::Site where) {
  return detail::capture_call_graph(task.state_ptr(), where);
}

std::string format_call_graph(const FutureCallGraph& graph) {
  std::string out;
  if (graph.future) detail::render(graph, 0, out);
  return out;
}

std::string format_call_graph(detail::Site where) {
  auto graph = capture_call_graph(where);
  return graph ? format_call_graph(*graph) : std::string();
}

std::string format_call_graph(const TaskRef& task, detail::Site where) {
  return detail::format_call_graph(task.state_ptr(), where);
}

void print_call_graph(detail::Site where) {
  std::string text = format_call_graph(where);
  if (!text.empty()) log(LogLevel::warning, text);
}

void print_call_graph(const TaskRef& task, detail::Site where) {
  detail::print_call_graph(task.state_ptr(), where);
}

// ---------------------------------------------------------------- the whole-loop dump

std::string EventLoop::format_all_tasks() {
  impl_->check_closed();
  impl_->check_thread();  // RuntimeError from another thread while the loop runs
  detail::TaskCore* last = nullptr;
  for (detail::TaskCore* t = impl_->anchor->tasks; t != nullptr; t = t->next) last = t;
  std::string out;
  for (detail::TaskCore* t = last; t != nullptr; t = t->prev) {  // the list is newest first
    if (t->state->done() || t->abandoned) continue;
    detail::FuturePtr state = t->state->weak_from_this().lock();
    if (!state) continue;  // being destroyed
    if (!out.empty()) out += '\n';
    out += format_call_graph(detail::capture_call_graph(state, {})) + '\n';
  }
  return out;
}

namespace {
// Held by the posted call: dropped unrun (the loop closed first), it answers with the error,
// so that no caller waits forever.
struct DumpRequest {
  ConcurrentFuture<std::string> answer;
  DumpRequest() = default;
  DumpRequest(const DumpRequest&) = delete;
  DumpRequest& operator=(const DumpRequest&) = delete;
  ~DumpRequest() {
    try {
      answer.set_exception(std::make_exception_ptr(RuntimeError("Event loop is closed")));
    } catch (...) {  // a done callback of the caller's failed: nothing to report it to
    }
  }
};
}  // namespace

ConcurrentFuture<std::string> EventLoop::format_all_tasks_threadsafe() {
  ConcurrentFuture<std::string> answer;
  if (detail::running_loop_or_null() == this) {  // on the loop's thread: now
    try {
      answer.set_result(format_all_tasks());
    } catch (...) {
      answer.set_exception(std::current_exception());
    }
    return answer;
  }
  auto request = std::make_shared<DumpRequest>();
  request->answer = answer;
  std::shared_ptr<detail::LoopAnchor> anchor = impl_->anchor;
  // The anchor refuses once the loop is closed: the request then answers as it goes.
  anchor->post([request, anchor] {
    if (EventLoop* loop = anchor->loop) {
      try {
        request->answer.set_result(loop->format_all_tasks());
      } catch (...) {
        request->answer.set_exception(std::current_exception());
      }
    }
  });
  return answer;
}

}  // namespace asyncio
