// asyncio.queues: Queue<T> (FIFO), LifoQueue<T> and PriorityQueue<T, Compare> (smallest
// first, ordered exactly as heapq orders it), with join()/task_done() and 3.13's shutdown().
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/detail/waiter_list.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/locks.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

namespace detail {

/// Everything about a queue but its items (lib/queues.cpp): the waiting getters and
/// putters, the unfinished-task count behind join(), and the shut-down state.
class QueueBase {
 public:
  /// `owner` names the queue to the tasks still waiting on it when it is destroyed.
  QueueBase(std::ptrdiff_t maxsize, OwnerName owner)
      : maxsize_(maxsize), getters_(owner.name), putters_(owner.name), finished_(owner) {
    finished_.set();
  }
  virtual ~QueueBase() = default;
  QueueBase(const QueueBase&) = delete;
  QueueBase& operator=(const QueueBase&) = delete;

  std::size_t qsize() const { return item_count(); }
  std::ptrdiff_t maxsize() const noexcept { return maxsize_; }  // <= 0: unbounded
  bool empty() const { return item_count() == 0; }
  bool full() const;

  /// One get() item is processed; std::invalid_argument when called too many times.
  void task_done();
  /// Waits until every item put has been marked done with task_done().
  Coro<void> join();
  /// put() fails from now on; get() once the queue is empty, or at once if `immediate`
  /// (which drops the items, counting each as done). Blocked callers wake up to see it.
  void shutdown(bool immediate = false);

  std::string repr() const;  // "<Queue at 0x... maxsize=0 _queue=[1, 2] tasks=2>"
  std::string str() const;   // "<Queue maxsize=0 _queue=[1, 2] tasks=2>"

 protected:
  virtual std::size_t item_count() const = 0;
  virtual void drop_item() = 0;
  virtual void format_items(std::string& out) const = 0;
  virtual const char* type_name() const noexcept = 0;

  /// The blocking halves of put() and get(): wait until there is room / an item.
  Coro<void> wait_for_room();
  Coro<void> wait_for_item();
  /// The checks and bookkeeping around adding or removing one item.
  void check_put() const;
  void check_get() const;
  void after_put();
  void after_get();

 private:
  static void wakeup_next(WaiterList& waiters);
  std::string format() const;

  std::ptrdiff_t maxsize_;
  WaiterList getters_;
  WaiterList putters_;
  std::size_t unfinished_tasks_ = 0;
  Event finished_;
  bool is_shutdown_ = false;
  std::shared_ptr<LoopAnchor> loop_;
};

}  // namespace detail

/// A FIFO queue; put() waits while maxsize items are queued (maxsize <= 0: never).
/// Subclasses change the order by overriding put_item/get_item (asyncio's _put/_get).
template <class T>
class Queue : public detail::QueueBase {
 public:
  using value_type = T;

  explicit Queue(std::ptrdiff_t maxsize = 0) : Queue(maxsize, detail::OwnerName{"Queue"}) {}

  /// QueueShutDown once shut down.
  Coro<void> put(T item) {
    if (full()) co_await wait_for_room();
    put_nowait(std::move(item));
  }
  /// QueueShutDown once shut down and empty.
  Coro<T> get() {
    if (empty()) co_await wait_for_item();
    co_return get_nowait();
  }
  void put_nowait(T item) {  // QueueFull, QueueShutDown
    check_put();
    put_item(std::move(item));
    after_put();
  }
  T get_nowait() {  // QueueEmpty, QueueShutDown
    check_get();
    T item = get_item();
    after_get();
    return item;
  }

 protected:
  /// For subclasses: `owner` names them to the tasks still waiting when they are destroyed.
  Queue(std::ptrdiff_t maxsize, detail::OwnerName owner) : QueueBase(maxsize, owner) {}

  virtual void put_item(T&& item) { queue_.push_back(std::move(item)); }
  virtual T get_item() {
    T item = std::move(queue_.front());
    queue_.pop_front();
    return item;
  }
  const char* type_name() const noexcept override { return "Queue"; }

  std::deque<T> queue_;

 private:
  std::size_t item_count() const override { return queue_.size(); }
  void drop_item() override { get_item(); }
  void format_items(std::string& out) const override {
    const char* sep = "";
    for (const auto& item : queue_) {
      out += std::exchange(sep, ", ");
      detail::append_repr(out, item);
    }
  }
};

/// Last in, first out.
template <class T>
class LifoQueue : public Queue<T> {
 public:
  explicit LifoQueue(std::ptrdiff_t maxsize = 0)
      : Queue<T>(maxsize, detail::OwnerName{"LifoQueue"}) {}

 protected:
  T get_item() override {
    T item = std::move(this->queue_.back());
    this->queue_.pop_back();
    return item;
  }
  const char* type_name() const noexcept override { return "LifoQueue"; }
};

/// Smallest first by Compare; items that compare equal come out in heapq's order.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public Queue<T> {
 public:
  explicit PriorityQueue(std::ptrdiff_t maxsize = 0, Compare less = Compare())
      : Queue<T>(maxsize, detail::OwnerName{"PriorityQueue"}), less_(std::move(less)) {}

 protected:
  void put_item(T&& item) override {
    this->queue_.push_back(std::move(item));
    sift_toward_root(0, this->queue_.size() - 1);
  }
  T get_item() override {
    auto& heap = this->queue_;
    T last = std::move(heap.back());
    heap.pop_back();
    if (heap.empty()) return last;
    T smallest = std::exchange(heap.front(), std::move(last));
    sift_to_leaf(0);
    return smallest;
  }
  const char* type_name() const noexcept override { return "PriorityQueue"; }

 private:
  /// heapq's _siftdown: moves heap[pos] up while it is smaller than its parent.
  void sift_toward_root(std::size_t root, std::size_t pos) {
    auto& heap = this->queue_;
    T moving = std::move(heap[pos]);
    while (pos > root) {
      std::size_t parent = (pos - 1) / 2;
      if (!less_(moving, heap[parent])) break;
      heap[pos] = std::move(heap[parent]);
      pos = parent;
    }
    heap[pos] = std::move(moving);
  }
  /// heapq's _siftup: sinks heap[pos] to a leaf along the smaller children, then back up.
  void sift_to_leaf(std::size_t pos) {
    auto& heap = this->queue_;
    const std::size_t end = heap.size();
    const std::size_t start = pos;
    T moving = std::move(heap[pos]);
    for (std::size_t child = 2 * pos + 1; child < end; child = 2 * pos + 1) {
      std::size_t right = child + 1;
      if (right < end && !less_(heap[child], heap[right])) child = right;
      heap[pos] = std::move(heap[child]);
      pos = child;
    }
    heap[pos] = std::move(moving);
    sift_toward_root(start, pos);
  }

  [[no_unique_address]] Compare less_;
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
