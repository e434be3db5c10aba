// Helpers for the contextvars tests (test_contextvars*.cpp). Python's @isolated_context
// becomes isolated(), which also keeps the Catch2 thread's own context empty for the tests
// that follow; `ctx.get(var)` / `ctx[var]` become ctx_get, a ctx.run around var.get(fallback).
#pragma once

#include <asyncio/asyncio.hpp>

#include "loop_support.hpp"

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

// The one of loop_support.hpp, for the tests that only use this header.
using test_support::error_text;

}  // namespace contextvars_support
