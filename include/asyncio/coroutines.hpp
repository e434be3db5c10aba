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
#include <asyncio/detail/site.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

template <class T = void>
class Coro;

namespace detail {

/// The Coro frame running on this thread inside a task step (its address), or null: what a
/// call graph of the current task starts from. Kept only with await sites (below).
inline thread_local constinit void* running_frame = nullptr;

/// Throws what the running task was woken with; nothing outside a task (lib/tasks.cpp).
void rethrow_wakeup_error();

/// Coroutine frames come from per-thread free lists by size class (lib/coroutines.cpp):
/// a task allocates one or more frames, and malloc was most of a task's cost.
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;
/// Blocks this thread's frame pool holds, all size classes together.
std::size_t pooled_frames() noexcept;
/// Blocks this thread's frame pool took from malloc since its last trim: a burst's size, in
/// constant time.
std::size_t frames_minted_since_trim() noexcept;
/// Gives back to malloc what the pool holds above `keep` blocks per size class (the loop does
/// when it goes idle); returns the bytes released.
std::size_t trim_frame_pool(std::size_t keep) noexcept;

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

/// The awaiter of a co_await's operand, handed back by await_transform as a prvalue: GCC 12
/// copies an awaiter that await_transform returns by reference (and rejects a non-movable one),
/// so this holds the operand's own awaiter instead, without a copy or a move. The operand, a
/// temporary of the co_await's full expression, lives across the suspension.
template <class Awaiter>
struct ForwardingAwaiter {
  Awaiter inner;  // operator co_await's result, or a reference to an operand that is an awaiter
  bool await_ready() noexcept(noexcept(inner.await_ready())) { return inner.await_ready(); }
  template <class Handle>
  decltype(auto) await_suspend(Handle h) noexcept(noexcept(inner.await_suspend(h))) {
    return inner.await_suspend(h);
  }
  decltype(auto) await_resume() noexcept(noexcept(inner.await_resume())) {
    return inner.await_resume();
  }
};

template <class A>
auto awaiter_of(A&& awaitable) {
  if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
    using R = decltype(std::forward<A>(awaitable).operator co_await());
    return ForwardingAwaiter<R>{std::forward<A>(awaitable).operator co_await()};
  } else if constexpr (requires { operator co_await(std::forward<A>(awaitable)); }) {
    using R = decltype(operator co_await(std::forward<A>(awaitable)));
    return ForwardingAwaiter<R>{operator co_await(std::forward<A>(awaitable))};
  } else {
    return ForwardingAwaiter<A&>{awaitable};
  }
}

/// Each co_await in a Coro records its site, for call graphs (graph.hpp); the CMake option
/// ASYNCIO_CPP_AWAIT_SITES=OFF defines ASYNCIO_CPP_NO_AWAIT_SITES, which removes the stores.
#if defined(__cpp_lib_source_location) && !defined(ASYNCIO_CPP_NO_AWAIT_SITES)
#define ASYNCIO_CPP_RECORD_AWAIT_SITES 1
#endif

struct CoroPromiseBase {
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  std::coroutine_handle<> continuation;  // the coroutine awaiting this one, if any
  std::exception_ptr exception;
  CoroOrigin origin;
  Site await_site;       // the co_await this frame last reached (graph.hpp)
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
#if defined(ASYNCIO_CPP_RECORD_AWAIT_SITES)
      running_frame = next.address();
#endif
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  InitialAwaiter initial_suspend() noexcept {
    return {*this};
  }
  FinalAwaiter final_suspend() const noexcept {
    return {};
  }
  void unhandled_exception() noexcept {
    exception = std::current_exception();
  }

#if defined(ASYNCIO_CPP_RECORD_AWAIT_SITES)
  /// Records where the coroutine awaits, then awaits what `awaitable` would have given.
  template <class A>
  auto await_transform(A&& awaitable, Site where = Site::current()) {
    await_site = where;
    return awaiter_of(std::forward<A>(awaitable));
  }
#endif
};

/// The promise of a Coro frame, from its address. Every Coro<T>'s promise starts with this
/// base at the same offset (asserted in CoroPromise), whatever T is.
inline CoroPromiseBase& promise_of_frame(void* frame) noexcept {
  return std::coroutine_handle<CoroPromiseBase>::from_address(frame).promise();
}

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
  static_assert(alignof(std::optional<T>) <= 2 * sizeof(void*),
                "Coro<T> of an over-aligned T: the frame allocator does not align it");
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
#if defined(ASYNCIO_CPP_RECORD_AWAIT_SITES)
        detail::running_frame = h.address();
#endif
        return h;
      }
      T await_resume() const {
        return h.promise().take();
      }
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
