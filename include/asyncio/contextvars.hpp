// Python's contextvars: ContextVar<T>, Context and copy_context(). Every task runs in its own
// copy of the context current at create_task, and every callback in a copy of the one current
// when it was scheduled, as in asyncio.
#pragma once

#include <asyncio/detail/callable.hpp>
#include <asyncio/detail/context_state.hpp>
#include <asyncio/exceptions.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// Python's LookupError: ContextVar::get() on a variable that has no value and no default.
class LookupError : public Error {
 public:
  using Error::Error;
};

/// contextvars.Context. A reference, as a Python object is: copies of a Context share one
/// context; copy() makes a new one.
class Context {
 public:
  Context() : state_(detail::new_context_state(nullptr)) {}  // contextvars.Context(): empty
  Context(const Context& o) noexcept : state_(o.state_) { detail::add_ref(state_); }
  Context(Context&& o) noexcept : state_(std::exchange(o.state_, nullptr)) {}
  Context& operator=(Context o) noexcept {
    std::swap(state_, o.state_);
    return *this;
  }
  ~Context() { detail::release(state_); }

  /// Context.run: calls f(args...) with this context current. RuntimeError if some thread
  /// runs in it already.
  template <class F, class... A>
  decltype(auto) run(F&& f, A&&... args) {
    detail::EnterContext entered(*state_);
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }
  Context copy() const { return Context(detail::new_context_state(state_->map)); }
  std::size_t size() const noexcept { return state_->map ? state_->map->size : 0; }
  /// As Python's Mapping equality: the same variables holding the same values (values are
  /// compared by identity, as `is`, for lack of a type-erased ==).
  bool operator==(const Context& o) const noexcept {
    return state_ == o.state_ || detail::same_vars(state_->map, o.state_->map);
  }

  /// Adopts a counted reference.
  explicit Context(detail::ContextState* state) noexcept : state_(state) {}
  detail::ContextState* state() const noexcept { return state_; }

 private:
  detail::ContextState* state_;
};

/// contextvars.copy_context(): a new context holding the current one's variables.
inline Context copy_context() {
  return Context(detail::new_context_state(detail::current_map()));
}

namespace detail {
std::string var_repr(const std::string& name, const std::string* default_repr);
[[noreturn]] void throw_token_used(const std::string& var);
[[noreturn]] void throw_token_other_var(const std::string& var);
[[noreturn]] void throw_token_other_context(const std::string& var);
}  // namespace detail

/// contextvars.ContextVar. Its identity names the variable, so it is neither copied nor
/// moved: declare it once, usually at namespace scope, as Python modules do.
template <class T>
class ContextVar {
 public:
  /// What set() returns and reset() takes: the value to go back to. It holds that value
  /// without copying it; reset() takes it back. Move-only: its use counts once.
  class Token {
   public:
    Token(Token&& o) noexcept
        : var_(o.var_), context_(o.context_), old_(std::exchange(o.old_, {})), used_(o.used_) {}
    Token& operator=(Token&&) = delete;
    ~Token() {
      if (old_.var != 0) detail::drop_value(old_);
    }
    const ContextVar& var() const noexcept { return *var_; }
    /// Token.old_value; empty for Token.MISSING.
    std::optional<T> old_value() const {
      if (old_.var == 0) return std::nullopt;
      return detail::entry_value<T>(old_);
    }

   private:
    friend class ContextVar;
    Token(const ContextVar* v, std::uint64_t ctx) : var_(v), context_(ctx) {}
    const ContextVar* var_;
    std::uint64_t context_;
    detail::VarEntry old_;  // var == 0: MISSING
    mutable bool used_ = false;
  };

  explicit ContextVar(std::string name) : name_(std::move(name)) {}
  ContextVar(std::string name, T default_value)
      : name_(std::move(name)), default_(std::move(default_value)) {}
  ContextVar(const ContextVar&) = delete;
  ContextVar& operator=(const ContextVar&) = delete;

  /// The value in the current context, else the default; LookupError without either.
  T get() const {
    if (const detail::VarEntry* e = detail::find_entry(detail::current_map(), id_))
      return detail::entry_value<T>(*e);
    if (default_) return *default_;
    throw LookupError(repr());
  }
  /// ContextVar.get(default): `fallback` takes the place of the variable's own default.
  T get(T fallback) const {
    if (const detail::VarEntry* e = detail::find_entry(detail::current_map(), id_))
      return detail::entry_value<T>(*e);
    return fallback;
  }

  Token set(T value) {
    detail::ContextState& ctx = detail::current_context();
    bool existed = false;
    detail::VarEntry& e = detail::writable_entry(ctx, id_, existed);
    Token token(this, 0);
    if (existed) token.old_ = detail::take_value(e);  // the entry's reference moves over
    try {
      detail::store_value(e, std::move(value));
    } catch (...) {  // the variable keeps its old value
      if (token.old_.var != 0) {
        detail::copy_value(e, token.old_);
      } else {
        detail::erase_entry(ctx, id_);
      }
      throw;
    }
    token.context_ = detail::serial_of(ctx);
    return token;
  }

  /// Puts back what the variable held before `token`'s set(), in the context it was made in.
  void reset(const Token& token) {
    if (token.used_) detail::throw_token_used(name_);
    if (token.var_ != this) detail::throw_token_other_var(token.var_->name_);
    detail::ContextState& ctx = detail::current_context();
    if (token.context_ != detail::serial_of(ctx)) detail::throw_token_other_context(name_);
    if (token.old_.var != 0) {
      bool existed = false;
      detail::VarEntry& e = detail::writable_entry(ctx, id_, existed);
      if (existed) detail::drop_value(e);
      detail::copy_value(e, token.old_);
    } else {
      detail::erase_entry(ctx, id_);
    }
    token.used_ = true;
  }

  const std::string& name() const noexcept { return name_; }
  /// Python's repr without its address: `<ContextVar name='x' default=1>`.
  std::string repr() const {
    if (!default_) return detail::var_repr(name_, nullptr);
    std::string d;
    detail::append_repr(d, *default_);
    return detail::var_repr(name_, &d);
  }

 private:
  std::string name_;
  std::optional<T> default_;
  std::uint64_t id_ = detail::new_var_id();
};

namespace detail {
/// in_context()'s callable: Context.run around the callback.
template <class F>
struct RunInContext {
  using wrapped_type = F;
  static constexpr bool runs_in_own_context = true;
  Context ctx;
  F fn;

  template <class... A>
  void operator()(A&... args) {
    ctx.run(fn, args...);
  }
  detail::ContextState* context_state() noexcept { return ctx.state(); }
};
}  // namespace detail

/// A callback that runs in `ctx` instead of a copy of the caller's context: call_soon's
/// `context=` argument, as `loop.call_soon(in_context(ctx, f), args...)`.
template <class F>
auto in_context(Context ctx, F&& fn) {
  return detail::RunInContext<std::decay_t<F>>{std::move(ctx), std::forward<F>(fn)};
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
