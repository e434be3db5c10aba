// concurrent.futures.ThreadPoolExecutor, and the loop's default executor.
#include <asyncio/threads.hpp>

#include "loop_impl.hpp"

#include <algorithm>

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
  if (!impl_->executor) impl_->executor = std::make_shared<ThreadPoolExecutor>();
  return *impl_->executor;
}

void EventLoop::shutdown_default_executor() {
  if (impl_->executor) impl_->executor->shutdown(true);
}

}  // namespace asyncio
