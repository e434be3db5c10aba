// Type-erased `callback(*args)` stored inside a handle, without virtual calls.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

// Room for a callable of up to five pointers (a future's done notification fits); larger
// or over-aligned ones go to the heap. Handles stay 80 bytes: every byte more showed in B1.
inline constexpr std::size_t inline_callable_size = 5 * sizeof(void*);
inline constexpr std::size_t inline_callable_align = alignof(void*);

struct ContextState;

struct CallableOps {
  void (*invoke)(void* storage);
  void (*destroy)(void* storage) noexcept;
  std::string (*describe)(const void* storage);
  /// The context the callback runs in, if it carries one (Handle.get_context()).
  ContextState* (*context)(void* storage) noexcept;
};

std::string demangle(const std::type_info& type);
void append_number(std::string& out, double value);
void append_number(std::string& out, long long value);
void append_number(std::string& out, unsigned long long value);

template <class T>
inline constexpr bool is_reference_wrapper = false;
template <class U>
inline constexpr bool is_reference_wrapper<std::reference_wrapper<U>> = true;

// repr()-like formatting of one bound argument, for "Exception in callback f(1, 'x')".
template <class T>
void append_repr(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out += value ? "True" : "False";
  } else if constexpr (std::is_floating_point_v<T>) {
    append_number(out, static_cast<double>(value));
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    append_number(out, static_cast<long long>(value));
  } else if constexpr (std::is_integral_v<T>) {
    append_number(out, static_cast<unsigned long long>(value));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out += '\'';
    out += std::string_view(value);
    out += '\'';
  } else if constexpr (requires { value.repr(); }) {
    out += value.repr();  // Future, Handle: their own repr, as Python shows them
  } else if constexpr (is_reference_wrapper<T>) {
    append_repr(out, value.get());
  } else {
    out += '<' + demangle(typeid(T)) + '>';
  }
}

// What a context wrapper (contextvars) holds: the name a traceback shows.
template <class F>
struct unwrapped {
  using type = F;
};
template <class F>
requires requires {
  typename F::wrapped_type;
}
struct unwrapped<F> {
  using type = typename unwrapped<typename F::wrapped_type>::type;
};
template <class F>
using unwrapped_t = typename unwrapped<F>::type;

// A callable with its arguments bound by value, as call_soon(callback, *args) does.
template <class F, class... Args>
struct BoundCall {
  F fn;
  [[no_unique_address]] std::tuple<Args...> args;

  void operator()() { std::apply(fn, args); }
  ContextState* context() noexcept {
    if constexpr (requires { fn.context_state(); }) {
      return fn.context_state();
    } else {
      return nullptr;
    }
  }

  std::string describe() const {
    std::string out = demangle(typeid(unwrapped_t<F>));
    out += '(';
    std::apply([&out](const Args&... a) { describe_args(out, a...); }, args);
    out += ')';
    return out;
  }

 private:
  static void describe_args(std::string& out, const Args&... a) {
    bool first = true;
    ((out += first ? "" : ", ", first = false, append_repr(out, a)), ...);
  }
};

template <class B>
inline constexpr bool fits_inline = sizeof(B) <= inline_callable_size &&
                                    alignof(B) <= inline_callable_align;

template <class B>
struct InlineOps {
  static B& get(void* s) { return *std::launder(static_cast<B*>(s)); }
  static void invoke(void* s) { get(s)(); }
  static void destroy(void* s) noexcept { get(s).~B(); }
  static std::string describe(const void* s) {
    return std::launder(static_cast<const B*>(s))->describe();
  }
  static ContextState* context(void* s) noexcept { return get(s).context(); }
  static constexpr CallableOps table{&invoke, &destroy, &describe, &context};
};

template <class B>
struct HeapOps {
  static B* get(const void* s) { return *static_cast<B* const*>(s); }
  static void invoke(void* s) { (*get(s))(); }
  static void destroy(void* s) noexcept { delete get(s); }
  static std::string describe(const void* s) { return get(s)->describe(); }
  static ContextState* context(void* s) noexcept { return get(s)->context(); }
  static constexpr CallableOps table{&invoke, &destroy, &describe, &context};
};

// Builds BoundCall<F, Args...> in `storage` and returns the matching operations.
template <class F, class... Args>
const CallableOps* emplace_callable(void* storage, F&& fn, Args&&... args) {
  using B = BoundCall<std::decay_t<F>, std::decay_t<Args>...>;
  static_assert(std::is_invocable_v<std::decay_t<F>&, std::decay_t<Args>&...>,
                "callback is not callable with the bound arguments");
  if constexpr (fits_inline<B>) {
    ::new (storage) B{std::forward<F>(fn), {std::forward<Args>(args)...}};
    return &InlineOps<B>::table;
  } else {
    *static_cast<B**>(storage) = new B{std::forward<F>(fn), {std::forward<Args>(args)...}};
    return &HeapOps<B>::table;
  }
}

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
