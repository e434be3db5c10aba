// cpython: 3.12+
// Context variables as a request id travels through asyncio (contextvars, test_context.py and
// test_tasks.test_context_1..6): a task copies its creator's context at create_task, gather's
// tasks too; callbacks see the context of the moment they were scheduled, or the one given
// (call_soon's context=); a TaskGroup task may share an explicit context; to_thread carries the
// caller's context, run_in_executor does not. Exceptions whose text holds an address (reprs of
// ContextVar, Token, Context) are printed by type only.
#include <asyncio/asyncio.hpp>

#include <stdexcept>
#include <string>
#include <tuple>

#include "trace.hpp"

asyncio::ContextVar<std::string> request_id("request_id", "-");
asyncio::ContextVar<std::string> user("user");

void log(const std::string& msg) {
  trace::print("[" + request_id.get() + "] " + msg);
}

asyncio::Coro<std::string> handler(int n) {
  log("handler " + std::to_string(n) + " starts");
  co_await asyncio::sleep(0);
  log("handler " + std::to_string(n) + " resumes");
  request_id.set("req-" + std::to_string(n) + "-inner");
  log("handler " + std::to_string(n) + " changed its own copy");
  co_return request_id.get();
}

void callback(const std::string& tag) {
  log("callback " + tag);
  request_id.set("set-by-" + tag);
}

std::string blocking(const std::string& tag) {
  return tag + " sees " + request_id.get();
}

void on_done(asyncio::Future<std::string> fut) {
  log("done callback, result " + fut.result());
}

asyncio::Coro<> shared(int n) {
  co_await asyncio::sleep(0);
  log("shared task " + std::to_string(n) + " sees");
  request_id.set("shared-" + std::to_string(n));
}

asyncio::Coro<> main_coro() {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  log("main starts");
  auto token = request_id.set("req-1");
  log("main set req-1");

  trace::print("-- a task copies the context at create_task");
  auto t = asyncio::create_task(handler(1));
  request_id.set("req-1b");
  log("main changed it after create_task");
  std::string got = co_await t;
  trace::print("task returned", got);
  log("main after the task");

  trace::print("-- gather");
  auto [r2, r3] = co_await asyncio::gather(handler(2), handler(3));
  trace::print("gather returned ['" + r2 + "', '" + r3 + "']");
  log("main after gather");

  trace::print("-- callbacks snapshot the context when scheduled");
  loop.call_soon(callback, "soon");
  loop.call_later(0, callback, "later");
  request_id.set("req-1c");
  loop.call_soon(callback, "soon2");
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  log("main after callbacks");
  auto fut = loop.create_future<std::string>();
  fut.add_done_callback(on_done);
  request_id.set("req-1d");
  fut.set_result("ok");
  co_await asyncio::sleep(0);

  trace::print("-- call_soon(..., context=ctx) runs in ctx itself");
  asyncio::Context ctx;
  loop.call_soon(asyncio::in_context(ctx, callback), "ctx-a");
  loop.call_soon(asyncio::in_context(ctx, callback), "ctx-b");
  co_await asyncio::sleep(0);
  trace::print("ctx holds", ctx.run([] { return request_id.get(); }));
  log("main unchanged");

  trace::print("-- a TaskGroup task with an explicit shared context");
  asyncio::Context shared_ctx = asyncio::copy_context();
  asyncio::Task<void> t2;
  asyncio::TaskGroup tg;
  co_await tg.run([&]() -> asyncio::Coro<> {
    tg.create_task(shared(1), "", shared_ctx);
    t2 = tg.create_task(shared(2), "", shared_ctx);
    tg.create_task(handler(4));
    co_return;
  });
  trace::print("shared context holds", shared_ctx.run([] { return request_id.get(); }));
  trace::print("task 2's context is it:", t2.get_context() == shared_ctx);
  log("main after the group");

  trace::print("-- threads");
  std::string from_thread = co_await asyncio::to_thread(blocking, "to_thread");
  trace::print(from_thread);
  std::string from_executor = co_await loop.run_in_executor(nullptr, blocking, "run_in_executor");
  trace::print(from_executor);

  trace::print("-- errors");
  try {
    user.get();
  } catch (const asyncio::LookupError&) {
    trace::print("user.get(): LookupError");
  }
  trace::print("user.get('anonymous'):", user.get("anonymous"));
  auto user_token = user.set("alice");
  trace::print("user:", user.get(), "old value is MISSING:", !user_token.old_value().has_value());
  try {
    request_id.reset(user_token);
  } catch (const std::invalid_argument&) {
    trace::print("reset with another var's token: ValueError");
  }
  asyncio::Context other;
  auto foreign = other.run([] { return user.set("bob"); });
  try {
    user.reset(foreign);
  } catch (const std::invalid_argument&) {
    trace::print("reset with another context's token: ValueError");
  }
  user.reset(user_token);
  try {
    user.reset(user_token);
  } catch (const asyncio::RuntimeError&) {
    trace::print("reset twice: RuntimeError");
  }
  try {
    ctx.run([&] { ctx.run(log, "nested"); });
  } catch (const asyncio::RuntimeError&) {
    trace::print("ctx.run inside ctx.run: RuntimeError");
  }

  trace::print("-- reset");
  request_id.reset(token);
  log("main after reset");
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
