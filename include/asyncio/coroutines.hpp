// Coro<T>: what `async def` returns. Lazy and move-only; `co_await coro` runs it inline
// in the awaiting task, `create_task(std::move(coro))` schedules it as a Task<T>.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <version>
#if defined(__cpp_lib_source_location)
#include <source_location>
#endif

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

template <class T = void>
class Coro;

namespace detail {

/// Throws what the running task was woken with; nothing outside a task (lib/tasks.cpp).
void rethrow_wakeup_error();

/// Coroutine frames come from per-thread free lists by size class (lib/coroutines.cpp):
/// a task allocates one or more frames, and malloc was most of a task's cost.
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;

/// Where a coroutine was defined: its function's name and file, for "coroutine '<name>' was
/// never awaited" (empty where the library has no std::source_location, as Clang 14's).
struct CoroOrigin {
#if defined(__cpp_lib_source_location)
  std::source_location where;
#endif
};
/// A Coro destroyed before its first step: logged in debug mode (lib/coroutines.cpp).
void report_never_awaited(const CoroOrigin& origin) noexcept;

/// An allocator on the same pools, for task states (allocate_shared).
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_frame(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { free_frame(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

struct CoroPromiseBase {
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  std::coroutine_handle<> continuation;  // the coroutine awaiting this one, if any
  std::exception_ptr exception;
  CoroOrigin origin;
  bool started = false;  // first resumed: awaited, or stepped by a task

  CoroPromiseBase() noexcept = default;
  explicit CoroPromiseBase(CoroOrigin where) noexcept : origin(where) {}

  /// A task cancelled before its first step throws at once, without running the body,
  /// as Python's coro.throw() does on a coroutine that has not started.
  struct InitialAwaiter {
    CoroPromiseBase& promise;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const {
      promise.started = true;
      rethrow_wakeup_error();
    }
  };
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      std::coroutine_handle<> next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  InitialAwaiter initial_suspend() noexcept { return {*this}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

// The default argument of a promise's constructor is evaluated in the coroutine's own body:
// it names that function.
#if defined(__cpp_lib_source_location)
#define ASYNCIO_CORO_PROMISE_CTOR(Name)                                       \
  Name(std::source_location where = std::source_location::current()) noexcept \
      : CoroPromiseBase(CoroOrigin{where}) {}
#else
#define ASYNCIO_CORO_PROMISE_CTOR(Name) Name() noexcept = default;
#endif

template <class T>
struct CoroPromise : CoroPromiseBase {
  ASYNCIO_CORO_PROMISE_CTOR(CoroPromise)
  std::optional<T> value;

  Coro<T> get_return_object() noexcept;
  template <class V>
  requires std::is_convertible_v<V&&, T>
  void return_value(V&& v) { value.emplace(std::forward<V>(v)); }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct CoroPromise<void> : CoroPromiseBase {
  ASYNCIO_CORO_PROMISE_CTOR(CoroPromise)
  Coro<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const {
    if (exception) std::rethrow_exception(exception);
  }
};
#undef ASYNCIO_CORO_PROMISE_CTOR

}  // namespace detail

/// [[nodiscard]]: a coroutine that is neither awaited nor made a task never runs.
template <class T>
class [[nodiscard]] Coro {
 public:
  using promise_type = detail::CoroPromise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  Coro() noexcept = default;
  explicit Coro(handle_type h) noexcept : h_(h) {}
  Coro(Coro&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Coro& operator=(Coro&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  ~Coro() { reset(); }

  void reset() noexcept {
    if (!h_) return;
    handle_type h = std::exchange(h_, {});
    if (!h.promise().started) [[unlikely]]
      detail::report_never_awaited(h.promise().origin);
    h.destroy();
  }
  handle_type handle() const noexcept { return h_; }
  bool done() const noexcept { return h_ && h_.done(); }
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  /// Runs the coroutine inside the awaiting task, by symmetric transfer.
  auto operator co_await() const noexcept {
    struct Awaiter {
      handle_type h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) const noexcept {
        h.promise().continuation = caller;
        return h;
      }
      T await_resume() const { return h.promise().take(); }
    };
    return Awaiter{h_};
  }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
Coro<T> CoroPromise<T>::get_return_object() noexcept {
  return Coro<T>(std::coroutine_handle<CoroPromise<T>>::from_promise(*this));
}
inline Coro<void> CoroPromise<void>::get_return_object() noexcept {
  return Coro<void>(std::coroutine_handle<CoroPromise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace asyncio
ASYNCIO_CPP_API_END
