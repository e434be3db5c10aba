// Helpers for the contextvars tests (test_contextvars*.cpp). Python's @isolated_context
// becomes isolated(), which also keeps the Catch2 thread's own context empty for the tests
// that follow; `ctx.get(var)` / `ctx[var]` become ctx_get, a ctx.run around var.get(fallback).
#pragma once

#include <asyncio/asyncio.hpp>

#include <string>
#include <utility>

namespace contextvars_support {

// Python's @isolated_context: the test body runs in a fresh, empty context.
template <class F>
decltype(auto) isolated(F&& f) {
  return asyncio::Context().run(std::forward<F>(f));
}

// Python's ctx.get(var, fallback): the value `var` holds in `ctx`, read by entering it.
template <class T>
T ctx_get(asyncio::Context ctx, const asyncio::ContextVar<T>& var, T fallback) {
  return ctx.run([&] { return var.get(fallback); });
}

// what() of the E that f throws, or "<none>".
template <class E, class F>
std::string error_text(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
  return "<none>";
}

}  // namespace contextvars_support
