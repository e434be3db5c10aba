// Context variables (contextvars, asyncio 3.12) outside the loop: ContextVar, Token, the
// Context API, copy semantics, values and threads. Ports of CPython's test_context.py
// (ContextTest, and a HamtTest analogue). Tasks: test_contextvars_tasks.cpp; callbacks,
// executors and exception handlers: test_contextvars_callbacks.cpp.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "contextvars_support.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using asyncio::Context;
using asyncio::ContextVar;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Task;
using Catch::Matchers::Contains;
using namespace contextvars_support;

namespace {

// A value whose copies and moves are counted, and whose move can be made to throw.
struct Bomb {
  static inline bool armed = false;
  int value = 0;
  explicit Bomb(int v) : value(v) {}
  Bomb(const Bomb& o) : value(o.value) {
    if (armed) throw std::runtime_error("copy refused");
  }
  Bomb(Bomb&& o) : value(o.value) {
    if (armed) throw std::runtime_error("move refused");
  }
  Bomb& operator=(const Bomb&) = default;
};

}  // namespace

// ---------------------------------------------------------------- ContextVar

TEST_CASE("var_name (test_context.ContextTest.test_context_var_new_1)", "[contextvars]") {
  ContextVar<int> c("aaa");
  CHECK(c.name() == "aaa");
  ContextVar<std::string> d("");
  CHECK(d.name().empty());
}

TEST_CASE("var_repr (test_context.ContextTest.test_context_var_repr_1)", "[contextvars]") {
  // Python's repr less its " at 0x..." part.
  ContextVar<int> a("a");
  CHECK(a.repr() == "<ContextVar name='a'>");
  ContextVar<int> b("a", 123);
  CHECK(b.repr() == "<ContextVar name='a' default=123>");
  ContextVar<std::string> s("s", "text");
  CHECK(s.repr() == "<ContextVar name='s' default='text'>");
  ContextVar<bool> flag("flag", false);
  CHECK(flag.repr() == "<ContextVar name='flag' default=False>");
  ContextVar<double> x("x", 1.5);
  CHECK(x.repr() == "<ContextVar name='x' default=1.5>");
}

TEST_CASE("var_lookup_error (test_context.ContextTest.test_context_getset_1)", "[contextvars]") {
  isolated([] {
    ContextVar<int> c("c");
    CHECK_THROWS_AS(c.get(), asyncio::LookupError);
    // The message is the variable's repr, as Python's LookupError(var) shows it.
    CHECK(error_text<asyncio::LookupError>([&] { c.get(); }) == "<ContextVar name='c'>");
    CHECK(c.get(7) == 7);
    ContextVar<int> d("d", 5);
    CHECK(d.get() == 5);
    CHECK(d.get(7) == 7);  // get(default) takes the place of the variable's own default
    auto t = d.set(6);
    CHECK(d.get() == 6);
    CHECK(d.get(7) == 6);
    d.reset(t);
    CHECK(d.get() == 5);
  });
}

TEST_CASE("var_getset (test_context.ContextTest.test_context_getset_1)", "[contextvars]") {
  isolated([] {
    ContextVar<std::string> c("c");
    CHECK_THROWS_AS(c.get(), asyncio::LookupError);
    CHECK(c.get("<none>") == "<none>");

    auto t0 = c.set("42");
    CHECK(c.get() == "42");
    CHECK(c.get("<none>") == "42");
    CHECK_FALSE(t0.old_value().has_value());  // Token.MISSING
    CHECK(&t0.var() == &c);

    auto t = c.set("spam");
    CHECK(c.get() == "spam");
    REQUIRE(t.old_value().has_value());
    CHECK(*t.old_value() == "42");
    c.reset(t);
    CHECK(c.get() == "42");
    CHECK(*t.old_value() == "42");  // still there after reset, as in Python

    c.set("spam2");
    CHECK_THROWS_WITH(c.reset(t), Contains("has already been used"));
    CHECK_THROWS_AS(c.reset(t), asyncio::RuntimeError);
    CHECK(c.get() == "spam2");

    Context ctx1 = asyncio::copy_context();
    CHECK(ctx1.size() == 1);

    c.reset(t0);
    CHECK_THROWS_WITH(c.reset(t0), Contains("has already been used"));
    CHECK(c.get("<none>") == "<none>");

    CHECK(ctx1.size() == 1);
    CHECK(ctx_get<std::string>(ctx1, c, "aa") == "spam2");

    Context ctx2 = asyncio::copy_context();
    CHECK(ctx2.size() == 0);
    CHECK(ctx_get<std::string>(ctx2, c, "aa") == "aa");
  });
}

TEST_CASE("token_other_var (test_context.ContextTest.test_context_getset_2)", "[contextvars]") {
  isolated([] {
    ContextVar<int> v1("v1");
    ContextVar<int> v2("v2");
    auto t1 = v1.set(42);
    CHECK_THROWS_AS(v2.reset(t1), std::invalid_argument);
    CHECK_THROWS_WITH(v2.reset(t1), Contains("by a different"));
    CHECK(v1.get() == 42);  // the refused reset changed nothing
    CHECK(v2.get(-1) == -1);
    v1.reset(t1);  // and the token is still good for its own variable
    CHECK(v1.get(-1) == -1);
  });
}

TEST_CASE("token_other_var_message (test_context.ContextTest.test_context_getset_2)",
          "[contextvars]") {
  // Python: "<Token var=<ContextVar name='v1' ...> ...> was created by a different
  // ContextVar": the repr is the token's, so it names the variable the token belongs to.
  isolated([] {
    ContextVar<int> v1("v1");
    ContextVar<int> v2("v2");
    auto t1 = v1.set(42);
    std::string text = error_text<std::invalid_argument>([&] { v2.reset(t1); });
    CHECK_THAT(text, Contains("name='v1'"));
    CHECK_THAT(text, Contains("was created by a different ContextVar"));
  });
}

TEST_CASE("var_default_in_context (test_context.ContextTest.test_context_getset_3)",
          "[contextvars]") {
  isolated([] {
    ContextVar<int> c("c", 42);
    Context ctx;
    ctx.run([&] {
      CHECK(c.get() == 42);
      CHECK(ctx.size() == 0);
      auto t = c.set(1);
      CHECK(ctx.size() == 1);
      CHECK(c.get() == 1);
      c.reset(t);
      CHECK(ctx.size() == 0);
      CHECK(c.get() == 42);
    });
    CHECK(ctx.size() == 0);
  });
}

TEST_CASE("token_other_context (test_context.ContextTest.test_context_getset_4)", "[contextvars]") {
  isolated([] {
    ContextVar<int> c("c", 42);
    Context ctx;
    auto tok = ctx.run([&] { return c.set(1); });
    CHECK_THROWS_AS(c.reset(tok), std::invalid_argument);
    CHECK_THROWS_WITH(c.reset(tok), Contains("different Context"));
    CHECK(c.get() == 42);
    CHECK(ctx_get(ctx, c, -1) == 1);
    // A copy of ctx is another context: the token does not belong to it either.
    Context copy = ctx.copy();
    CHECK_THROWS_AS(copy.run([&] { c.reset(tok); }), std::invalid_argument);
    // In its own context the token works.
    ctx.run([&] { c.reset(tok); });
    CHECK(ctx_get(ctx, c, -1) == -1);
    CHECK(ctx_get(copy, c, -1) == 1);
  });
}

TEST_CASE("copy_context_run_isolated (test_context.ContextTest.test_context_getset_5)",
          "[contextvars]") {
  isolated([] {
    ContextVar<std::vector<int>> c("c", std::vector<int>{});
    c.set({});
    asyncio::copy_context().run([&] {
      c.set({});
      std::vector<int> v = c.get();
      v.push_back(42);
      c.set(v);
      CHECK(c.get() == std::vector<int>{42});
    });
    CHECK(c.get().empty());
  });
}

TEST_CASE("context_copy (test_context.ContextTest.test_context_copy_1)", "[contextvars]") {
  Context ctx1;
  ContextVar<int> c("c", 42);
  Context ctx2;  // replaced inside
  ctx1.run([&] {
    c.set(10);
    ctx2 = ctx1.copy();
    CHECK(ctx2.size() == 1);
    CHECK(ctx_get(ctx2, c, -1) == 10);

    c.set(20);
    CHECK(c.get() == 20);
    CHECK(ctx_get(ctx2, c, -1) == 10);  // the copy kept the value it was made with

    ctx2.run([&] {
      CHECK(c.get() == 10);
      c.set(30);
      CHECK(c.get() == 30);
    });
    CHECK(c.get() == 20);  // ctx2's write did not reach ctx1
    CHECK(ctx_get(ctx2, c, -1) == 30);
  });
  CHECK(ctx_get(ctx1, c, -1) == 20);
  CHECK(ctx_get(ctx2, c, -1) == 30);
}

TEST_CASE("context_reference_semantics", "[contextvars]") {
  // A Context is a reference: copies of the handle are one context (a set through one shows
  // through the other); copy() makes another, equal by content (Python's ==) until one of
  // them changes.
  ContextVar<int> v("v");
  Context a;
  Context alias = a;
  CHECK(alias == a);
  alias.run([&] { v.set(1); });
  CHECK(a.size() == 1);
  CHECK(ctx_get(a, v, -1) == 1);
  Context other = a.copy();
  CHECK(other == a);
  other.run([&] { v.set(2); });
  CHECK_FALSE(other == a);
  CHECK(ctx_get(a, v, -1) == 1);
  CHECK(ctx_get(other, v, -1) == 2);
  Context moved = std::move(alias);
  CHECK(moved == a);
  moved.run([&] { v.set(3); });
  CHECK(ctx_get(a, v, -1) == 3);
}

// ---------------------------------------------------------------- Context.run

TEST_CASE("ctx_run_args (test_context.ContextTest.test_context_run_2)", "[contextvars]") {
  Context ctx;
  auto f = [](int a, std::string b) { return std::to_string(a) + b; };
  CHECK(ctx.run(f, 11, std::string("bar")) == "11bar");
  CHECK(ctx.run([] { return 5; }) == 5);
  int out = 0;
  ctx.run([](int& r) { r = 3; }, out);  // references reach the function
  CHECK(out == 3);
  std::unique_ptr<int> p =
      ctx.run([](std::unique_ptr<int> q) { return q; }, std::make_unique<int>(9));
  REQUIRE(p);
  CHECK(*p == 9);
}

TEST_CASE("ctx_run_exception (test_context.ContextTest.test_context_run_3)", "[contextvars]") {
  Context ctx;
  CHECK_THROWS_AS(ctx.run([] { throw std::domain_error("1 / 0"); }), std::domain_error);
  CHECK_THROWS_AS(ctx.run([](int, int) { throw std::domain_error("1 / 0"); }, 1, 2),
                  std::domain_error);
  // It is not left entered by the exception.
  CHECK(ctx.run([] { return 1; }) == 1);
}

TEST_CASE("ctx_run_nested (test_context.ContextTest.test_context_run_4)", "[contextvars]") {
  isolated([] {
    Context ctx1;
    Context ctx2;
    ContextVar<std::string> var("var");
    Context returned = ctx1.run([&] {
      CHECK(var.get("<none>") == "<none>");
      var.set("spam");
      ctx2.run([&] { CHECK(var.get("<none>") == "<none>"); });
      CHECK(var.get("<none>") == "spam");
      Context cur = asyncio::copy_context();
      CHECK(cur.size() == 1);
      CHECK(ctx_get<std::string>(cur, var, "<none>") == "spam");
      return cur;
    });
    CHECK(ctx_get<std::string>(returned, var, "<none>") == "spam");
    CHECK(ctx_get<std::string>(ctx1, var, "<none>") == "spam");
    CHECK(ctx2.size() == 0);
    CHECK(var.get("<none>") == "<none>");
  });
}

TEST_CASE("ctx_eq_by_content (test_context.ContextTest.test_context_run_4)", "[contextvars]") {
  // Python compares contexts by their contents: test_context_run_4 asserts
  // ctx1 == copy_context() taken inside ctx1.run, and Context() == Context().
  isolated([] {
    Context ctx1;
    ContextVar<std::string> var("var");
    Context returned = ctx1.run([&] {
      var.set("spam");
      return asyncio::copy_context();
    });
    CHECK(ctx1 == returned);
    CHECK(Context() == Context());
  });
}

TEST_CASE("ctx_run_exception_restores (test_context.ContextTest.test_context_run_5)",
          "[contextvars]") {
  isolated([] {
    Context ctx;
    ContextVar<std::string> var("var");
    std::string before;
    auto func = [&] {
      before = var.get("<none>");
      var.set("spam");
      throw std::domain_error("1 / 0");
    };
    CHECK_THROWS_AS(ctx.run(func), std::domain_error);
    CHECK(before == "<none>");
    CHECK(var.get("<none>") == "<none>");
    CHECK(ctx_get<std::string>(ctx, var, "<none>") == "spam");  // the set stays in ctx
  });
}

TEST_CASE("ctx_run_default (test_context.ContextTest.test_context_run_6)", "[contextvars]") {
  Context ctx;
  ContextVar<int> c("a", 0);
  ctx.run([&] {
    CHECK(c.get() == 0);
    CHECK(ctx.size() == 0);
    c.set(42);
    CHECK(c.get() == 42);
    CHECK(ctx.size() == 1);
  });
  CHECK(ctx_get(ctx, c, -1) == 42);
}

TEST_CASE("ctx_run_reentry (test_context.ContextTest.test_context_run_7)", "[contextvars]") {
  Context ctx;
  Context alias = ctx;
  bool inner_ran = false;
  std::string text;
  ctx.run([&] {
    text = error_text<asyncio::RuntimeError>([&] { ctx.run([&] { inner_ran = true; }); });
    // The same context through another handle is the same context.
    CHECK_THROWS_AS(alias.run([&] { inner_ran = true; }), asyncio::RuntimeError);
    // A copy is another context, which may be entered.
    CHECK(ctx.copy().run([] { return 1; }) == 1);
  });
  CHECK_FALSE(inner_ran);
  CHECK(text == "cannot enter context: <Context> is already entered");
  // Once left it may be entered again.
  CHECK(ctx.run([] { return 2; }) == 2);
}

// ---------------------------------------------------------------- many variables, values

TEST_CASE("many_vars (test_context.HamtTest analogue)", "[contextvars]") {
  isolated([] {
    constexpr int n = 100;
    std::deque<ContextVar<int>> vars;
    for (int i = 0; i < n; ++i) vars.emplace_back("v" + std::to_string(i));
    std::vector<std::optional<ContextVar<int>::Token>> tokens(n);
    // Set in a shuffled order, so that entries are inserted everywhere in the sorted map.
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(20240612);
    std::shuffle(order.begin(), order.end(), rng);
    for (int i : order) tokens[i].emplace(vars[i].set(i * 10));
    CHECK(asyncio::copy_context().size() == n);
    for (int i = 0; i < n; ++i) CHECK(vars[i].get() == i * 10);

    // A second round overwrites in place; a snapshot keeps the first round.
    Context snapshot = asyncio::copy_context();
    std::vector<std::optional<ContextVar<int>::Token>> second(n);
    for (int i = 0; i < n; i += 2) second[i].emplace(vars[i].set(-i));
    for (int i = 0; i < n; ++i) CHECK(vars[i].get() == (i % 2 == 0 ? -i : i * 10));
    int snapshot_mismatches = snapshot.run([&] {
      int bad = 0;
      for (int i = 0; i < n; ++i) bad += vars[i].get() != i * 10;
      return bad;
    });
    CHECK(snapshot_mismatches == 0);

    // Undo the second round, then the first, in random orders.
    std::shuffle(order.begin(), order.end(), rng);
    for (int i : order) {
      if (second[i]) vars[i].reset(*second[i]);
    }
    for (int i = 0; i < n; ++i) CHECK(vars[i].get() == i * 10);
    std::shuffle(order.begin(), order.end(), rng);
    int left = n;
    for (int i : order) {
      vars[i].reset(*tokens[i]);
      --left;
      CHECK(asyncio::copy_context().size() == static_cast<std::size_t>(left));
      CHECK(vars[i].get(-1) == -1);
    }
    CHECK(snapshot.size() == static_cast<std::size_t>(n));
  });
}

TEST_CASE("values_non_trivial (test_context.ContextTest.test_context_getset_5)", "[contextvars]") {
  isolated([] {
    ContextVar<std::string> s("s");
    ContextVar<std::vector<std::string>> v("v");
    ContextVar<std::array<int, 16>> big("big");  // trivially copyable, too big to sit inline
    std::string long_text(1000, 'x');
    s.set(long_text);
    v.set({"a", "b"});
    std::array<int, 16> arr{};
    arr[15] = 7;
    auto tb = big.set(arr);
    Context snap = asyncio::copy_context();
    s.set("short");
    v.set({});
    arr[15] = 8;
    big.set(arr);
    CHECK(s.get() == "short");
    CHECK(v.get().empty());
    CHECK(big.get()[15] == 8);
    snap.run([&] {
      CHECK(s.get() == long_text);
      CHECK(v.get() == std::vector<std::string>{"a", "b"});
      CHECK(big.get()[15] == 7);
    });
    big.reset(tb);
    CHECK_THROWS_AS(big.get(), asyncio::LookupError);
  });
}

TEST_CASE("values_shared_ptr_released", "[contextvars]") {
  // The maps share values between contexts (copy-on-write): each value must be released by
  // the last context, token or snapshot that holds it.
  auto p = std::make_shared<int>(1);
  auto q = std::make_shared<int>(2);
  ContextVar<std::shared_ptr<int>> var("var");
  {
    Context ctx;
    std::optional<ContextVar<std::shared_ptr<int>>::Token> token;
    std::vector<Context> copies;
    ctx.run([&] {
      var.set(p);
      for (int i = 0; i < 5; ++i) copies.push_back(asyncio::copy_context());
      token.emplace(var.set(q));  // p now held by the copies and by the token
      for (int i = 0; i < 5; ++i) copies.push_back(asyncio::copy_context());
    });
    CHECK(p.use_count() > 1);
    CHECK(q.use_count() > 1);
    copies[0].run([&] { var.set(std::make_shared<int>(3)); });  // overwrite in one copy
    CHECK(*ctx_get<std::shared_ptr<int>>(copies[1], var, nullptr) == 1);
    CHECK(*ctx_get<std::shared_ptr<int>>(copies[7], var, nullptr) == 2);
    ctx.run([&] { var.reset(*token); });
    CHECK(*ctx_get<std::shared_ptr<int>>(ctx, var, nullptr) == 1);
    copies.clear();
  }
  CHECK(p.use_count() == 1);
  CHECK(q.use_count() == 1);
}

TEST_CASE("values_shared_ptr_released_by_tasks", "[contextvars]") {
  auto p = std::make_shared<int>(1);
  ContextVar<std::shared_ptr<int>> var("var");
  {
    EventLoop loop;
    int seen = 0;
    isolated([&] {
      var.set(p);
      loop.run_until_complete([&]() -> Coro<void> {
        // Named: a coroutine lambda's captures live in the closure, which must outlive it.
        auto body = [&](int k) -> Coro<void> {
          co_await asyncio::sleep(0);
          seen += *var.get() == 1;
          if (k % 2 == 0) var.set(std::make_shared<int>(k));
        };
        std::vector<Task<void>> tasks;
        for (int i = 0; i < 10; ++i) tasks.push_back(asyncio::create_task(body(i)));
        loop.call_soon([&] { seen += *var.get() == 1; });
        co_await asyncio::gather(tasks);
        co_await asyncio::sleep(0);
      }());
    });
    CHECK(seen == 11);
    loop.close();
  }
  CHECK(p.use_count() == 1);
}

TEST_CASE("var_set_throwing_move_keeps_old", "[contextvars]") {
  // Python's set() changes nothing when it fails; here a value whose move throws.
  isolated([] {
    ContextVar<Bomb> var("bomb");
    var.set(Bomb(1));
    Bomb::armed = true;
    bool threw = false;
    try {
      var.set(Bomb(2));
    } catch (const std::runtime_error&) {
      threw = true;
    }
    Bomb::armed = false;
    CHECK(threw);
    int value = -1;
    try {
      value = var.get().value;
    } catch (const asyncio::LookupError&) {
      value = -2;  // the failed set dropped the old value
    }
    CHECK(value == 1);
  });
}

// ---------------------------------------------------------------- threads

TEST_CASE("threads_start_empty (test_context.ContextTest.test_context_threads_1)",
          "[contextvars]") {
  ContextVar<int> cvar("cvar");
  std::atomic<int> failures{0};
  std::atomic<int> started_empty{0};
  std::vector<int> results(10, -1);
  isolated([&] {
    cvar.set(-100);  // this thread's value: no other thread sees it
    std::vector<std::thread> threads;
    for (int num = 0; num < 10; ++num) {
      threads.emplace_back([&, num] {
        if (cvar.get(-1) == -1) ++started_empty;
        for (int i = 0; i < 10; ++i) {
          cvar.set(num + i);
          std::this_thread::yield();
          if (cvar.get() != num + i) ++failures;
        }
        results[num] = num;
      });
    }
    for (auto& t : threads) t.join();
    CHECK(cvar.get() == -100);
  });
  CHECK(failures == 0);
  CHECK(started_empty == 10);
  std::vector<int> expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(results == expected);
}

TEST_CASE("thread_context_released_at_exit", "[contextvars]") {
  // What a thread set in its own context is released when the thread ends.
  auto p = std::make_shared<int>(5);
  ContextVar<std::shared_ptr<int>> var("var");
  int seen = 0;
  std::thread t([&] {
    var.set(p);
    seen = *var.get();
  });
  t.join();
  CHECK(seen == 5);
  CHECK(p.use_count() == 1);
}
