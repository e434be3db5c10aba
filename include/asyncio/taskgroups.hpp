// asyncio.TaskGroup (3.12 semantics). `async with asyncio.TaskGroup() as tg:` becomes
//   asyncio::TaskGroup tg;
//   co_await tg.run([&]() -> asyncio::Coro<> { tg.create_task(work()); co_return; });
#pragma once

#include <asyncio/tasks.hpp>

#include <optional>
#include <type_traits>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {},
                      std::optional<Context> context = std::nullopt) {
    check_open();
    Task<T> task = loop_->create_task(std::move(coro), std::move(name), std::move(context));
    track(task.state_ptr());
    return task;
  }

  /// The body of the `async with`: a Coro, or a callable returning one (taking TaskGroup& or
  /// nothing). Waits for every task; failures come out as one ExceptionGroup.
  template <class Body>
  Coro<void> run(Body body) {
    enter();
    std::exception_ptr error;
    try {
      if constexpr (std::is_invocable_v<Body&, TaskGroup&>) {
        co_await body(*this);
      } else if constexpr (std::is_invocable_v<Body&>) {
        co_await body();
      } else {
        co_await body;
      }
    } catch (...) {
      error = std::current_exception();
    }
    co_await exit(error);
  }

 private:
  void enter();                               // __aenter__
  Coro<void> exit(std::exception_ptr error);  // __aexit__
  void check_open() const;
  void track(const detail::FuturePtr& task);
  void on_task_done(const detail::FuturePtr& task);
  void abort();

  bool entered_ = false;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
  EventLoop* loop_ = nullptr;
  TaskRef parent_task_;
  std::vector<detail::FuturePtr> tasks_;
  std::vector<std::exception_ptr> errors_;
  std::optional<Future<void>> on_completed_;
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
