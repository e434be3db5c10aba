// concurrent.futures.ThreadPoolExecutor, and the loop's default executor.
#include <asyncio/threads.hpp>

#include "loop_impl.hpp"

#include <asyncio/log.hpp>
#include <asyncio/timeouts.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <thread>

namespace asyncio {

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t max_workers)
    : max_workers_(max_workers != 0
                       ? max_workers
                       : std::min<std::size_t>(32, std::thread::hardware_concurrency() + 4)) {}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  shutdown(true);
}

void ThreadPoolExecutor::submit(std::function<void()> work) {
  std::lock_guard lock(mutex_);
  if (shutdown_) throw RuntimeError("cannot schedule new futures after shutdown");
  queue_.push_back(std::move(work));
  // A new thread only when none is idle, as Python's _adjust_thread_count does.
  if (idle_ == 0 && threads_.size() < max_workers_) {
    threads_.emplace_back([this] { worker(); });
  } else {
    ready_.notify_one();
  }
}

void ThreadPoolExecutor::worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    ready_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) return;  // shut down and drained
    auto work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    work = nullptr;  // release what the work holds before taking the lock again
    lock.lock();
  }
}

void ThreadPoolExecutor::shutdown(bool wait) {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
    if (wait) threads.swap(threads_);
  }
  ready_.notify_all();
  for (auto& t : threads) t.join();
}

void EventLoop::set_default_executor(std::shared_ptr<Executor> executor) {
  impl_->executor = std::move(executor);
}

Executor& EventLoop::default_executor() {
  // asyncio's _check_default_executor: once shut down, the default takes no more work.
  if (impl_->executor_shutdown_called) throw RuntimeError("Executor shutdown has been called");
  if (!impl_->executor) impl_->executor = std::make_shared<ThreadPoolExecutor>();
  return *impl_->executor;
}

namespace {
// Python's str() of the timeout in the warning: 300, 0.5.
std::string seconds_text(double seconds) {
  char text[32];
  auto end = std::to_chars(text, text + sizeof text, seconds).ptr;
  return std::string(text, end);
}
}  // namespace

Coro<void> EventLoop::shutdown_default_executor(std::optional<double> timeout) {
  impl_->executor_shutdown_called = true;
  std::shared_ptr<Executor> executor = impl_->executor;
  if (!executor) co_return;
  Future<void> joined = create_future<void>();
  // The join blocks, so it runs on a thread of its own; that thread holds the executor and
  // the anchor, so it may outlive this call (timeout, cancellation) and even the loop.
  std::thread joiner([executor, joined, anchor = impl_->anchor]() mutable {
    std::exception_ptr error;
    try {
      executor->shutdown(true);
    } catch (...) {
      error = std::current_exception();
    }
    anchor->post([joined = std::move(joined), error = std::move(error)]() mutable {
      if (joined.done()) return;  // timed out or cancelled meanwhile
      error ? joined.set_exception(error) : joined.set_result();
    });
  });
  struct DetachUnlessJoined {
    std::thread& thread;
    ~DetachUnlessJoined() {
      if (thread.joinable()) thread.detach();
    }
  } detach_guard{joiner};
  try {
    co_await wait_for(joined, timeout);
  } catch (const TimeoutError&) {
    log(LogLevel::warning,
        "RuntimeWarning: The executor did not finishing joining its threads "
        "within " +
            seconds_text(*timeout) + " seconds.");
    executor->shutdown(false);
    co_return;
  }
  joiner.join();  // it has posted its result: only its return is left
}

}  // namespace asyncio
