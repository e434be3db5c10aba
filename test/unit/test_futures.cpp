// Ports of CPython's test_asyncio/test_futures.py: BaseFutureTests and
// BaseFutureDoneCallbackTests (callbacks removed by id instead of by equality).
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "loop_support.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using asyncio::EventLoop;
using asyncio::Future;
using Catch::Matchers::Contains;
using Catch::Matchers::Message;
using Catch::Matchers::StartsWith;
using namespace test_support;

namespace {

// CPython's _make_callback(bag, thing).
auto bag_appender(std::vector<int>& bag, int thing) {
  return [&bag, thing](auto) { bag.push_back(thing); };
}

// What CancelledError carried, or "<none>" when nothing (or something else) was thrown.
template <class F>
std::string cancelled_message(F&& f) {
  try {
    f();
  } catch (const asyncio::CancelledError& e) {
    return e.message();
  } catch (...) {
  }
  return "<none>";
}

}  // namespace

TEST_CASE("test_futures.BaseFutureTests.test_initial_state") {
  // A new future is pending; cancel() makes it cancelled.
  EventLoop loop;
  Future<int> f(loop);
  CHECK_FALSE(f.cancelled());
  CHECK_FALSE(f.done());
  f.cancel();
  CHECK(f.cancelled());
}

TEST_CASE("test_futures.BaseFutureTests.test_uninitialized: empty Future") {
  // A default-constructed Future is CPython's uninitialised one: pending-looking, reading it
  // is an InvalidStateError, changing it a RuntimeError.
  Future<int> f;
  CHECK_FALSE(static_cast<bool>(f));
  CHECK_FALSE(f.done());
  CHECK_FALSE(f.cancelled());
  CHECK_THROWS_AS(f.result(), asyncio::InvalidStateError);
  CHECK_THROWS_AS(f.exception(), asyncio::InvalidStateError);
  CHECK_THROWS_AS(f.set_result(1), asyncio::RuntimeError);
  CHECK_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                  asyncio::RuntimeError);
  CHECK_THROWS_AS(f.cancel(), asyncio::RuntimeError);
  CHECK_THROWS_AS(f.add_done_callback([](Future<int>) {}), asyncio::RuntimeError);
  CHECK_THROWS_AS(f.remove_done_callback(1), asyncio::RuntimeError);
  CHECK_THROWS_AS(f.get_loop(), asyncio::RuntimeError);
  // Assigning a real future makes it usable.
  EventLoop loop;
  f = Future<int>(loop);
  CHECK(static_cast<bool>(f));
  CHECK_FALSE(f.done());
  f.cancel();
}

TEST_CASE("test_futures.BaseFutureTests.test_constructor_use_running_loop: get_loop") {
  // get_loop() is the loop given to the constructor; copies share one state.
  EventLoop loop;
  Future<int> f(loop);
  CHECK(&f.get_loop() == &loop);
  Future<int> copy = f;
  CHECK(copy == f);
  CHECK_FALSE(Future<int>(loop) == f);
  copy.set_result(7);
  CHECK(f.done());
  CHECK(f.result() == 7);
}

TEST_CASE("test_futures.BaseFutureTests.test_cancel") {
  // A cancelled future is done; result() and exception() raise CancelledError; no more changes.
  EventLoop loop;
  Future<int> f(loop);
  CHECK(f.cancel());
  CHECK(f.cancelled());
  CHECK(f.done());
  CHECK_THROWS_AS(f.result(), asyncio::CancelledError);
  CHECK_THROWS_AS(f.exception(), asyncio::CancelledError);
  CHECK_THROWS_AS(f.set_result(1), asyncio::InvalidStateError);
  CHECK_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                  asyncio::InvalidStateError);
  CHECK_FALSE(f.cancel());
}

TEST_CASE("test_futures.BaseFutureTests.test_result") {
  SECTION("set_result") {
    // set_result makes the future done with that value; it cannot change afterwards.
    EventLoop loop;
    Future<int> f(loop);
    CHECK_THROWS_AS(f.result(), asyncio::InvalidStateError);
    f.set_result(42);
    CHECK_FALSE(f.cancelled());
    CHECK(f.done());
    CHECK(f.result() == 42);
    CHECK(f.exception() == nullptr);
    CHECK_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                    asyncio::InvalidStateError);
    CHECK_FALSE(f.cancel());
    CHECK(f.result() == 42);
  }
  SECTION("set_result twice") {
    // The second set_result is an InvalidStateError naming the state, as CPython's does.
    EventLoop loop;
    Future<int> f(loop);
    f.set_result(42);
    CHECK_THROWS_MATCHES(f.set_result(1), asyncio::InvalidStateError,
                         Message("FINISHED: <Future finished result=42>"));
    CHECK(f.result() == 42);
    Future<void> v(loop);
    v.set_result();
    CHECK_THROWS_AS(v.set_result(), asyncio::InvalidStateError);
    CHECK_NOTHROW(v.result());
  }
  SECTION("pending") {
    // result() and exception() of a pending future are InvalidStateErrors.
    EventLoop loop;
    Future<std::string> f(loop);
    CHECK_THROWS_MATCHES(f.result(), asyncio::InvalidStateError,
                         Message("Result is not set."));  // the C Future's text
    CHECK_THROWS_MATCHES(f.exception(), asyncio::InvalidStateError,
                         Message("Exception is not set."));
    CHECK_FALSE(f.done());
  }
}

TEST_CASE("test_futures.BaseFutureTests.test_exception") {
  // set_exception: result() rethrows the very exception, exception() returns it.
  EventLoop loop;
  Future<int> f(loop);
  CHECK_THROWS_AS(f.exception(), asyncio::InvalidStateError);
  auto exc = std::make_exception_ptr(std::runtime_error("boom"));
  f.set_exception(exc);
  CHECK_FALSE(f.cancelled());
  CHECK(f.done());
  CHECK_THROWS_MATCHES(f.result(), std::runtime_error, Message("boom"));
  CHECK(f.exception() == exc);
  CHECK_THROWS_AS(f.set_result(1), asyncio::InvalidStateError);
  CHECK_THROWS_AS(f.set_exception(exc), asyncio::InvalidStateError);
  CHECK_FALSE(f.cancel());
}

TEST_CASE("test_futures.BaseFutureTests.test_future_repr") {
  // repr() in each state.
  EventLoop loop;
  Future<int> pending(loop);
  CHECK(pending.repr() == "<Future pending>");

  Future<int> cancelled(loop);
  cancelled.cancel();
  CHECK(cancelled.repr() == "<Future cancelled>");

  Future<int> result(loop);
  result.set_result(4);
  CHECK(result.repr() == "<Future finished result=4>");

  Future<std::string> text(loop);
  text.set_result("x");
  CHECK(text.repr() == "<Future finished result='x'>");

  Future<void> none(loop);
  none.set_result();
  CHECK(none.repr() == "<Future finished result=None>");

  Future<int> exception(loop);
  exception.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  CHECK_THAT(exception.repr(), StartsWith("<Future finished exception=") && Contains("boom"));
  pending.cancel();
}

TEST_CASE("test_futures.BaseFutureTests.test_future_cancel_message_getter") {
  // cancel(msg): the CancelledError raised by result(), exception() and run_until_complete
  // carries the message.
  EventLoop loop;
  Future<int> f(loop);
  f.cancel("my message");
  CHECK(cancelled_message([&] { loop.run_until_complete(f); }) == "my message");
  CHECK(cancelled_message([&] { f.result(); }) == "my message");
  CHECK(cancelled_message([&] { f.exception(); }) == "my message");
  Future<int> plain(loop);
  plain.cancel();
  CHECK(cancelled_message([&] { plain.result(); }).empty());
}

TEST_CASE("test_futures.BaseFutureTests.test_cancel: CancelledError is not a std::exception") {
  // Like a BaseException, cancellation passes through catch (const std::exception&).
  STATIC_REQUIRE_FALSE(std::is_base_of_v<std::exception, asyncio::CancelledError>);
  EventLoop loop;
  Future<int> f(loop);
  f.cancel("stop");
  bool caught_by_std = false;
  bool caught_cancelled = false;
  try {
    try {
      f.result();
    } catch (const std::exception&) {
      caught_by_std = true;
    }
  } catch (const asyncio::CancelledError& e) {
    caught_cancelled = e.message() == "stop";
  }
  CHECK_FALSE(caught_by_std);
  CHECK(caught_cancelled);
}

TEST_CASE("test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_result") {
  SECTION("scheduled by set_result") {
    // Done callbacks go through call_soon: not run by set_result, run in order next iteration.
    EventLoop loop;
    std::vector<int> bag;
    Future<std::string> f(loop);
    f.add_done_callback(bag_appender(bag, 42));
    f.add_done_callback(bag_appender(bag, 17));
    CHECK(bag.empty());
    f.set_result("foo");
    CHECK(bag.empty());
    run_once(loop);
    CHECK(bag == std::vector<int>{42, 17});
    CHECK(f.result() == "foo");
  }
  SECTION("added once done") {
    // add_done_callback on a done future schedules the callback; it still does not run inline.
    EventLoop loop;
    std::vector<int> bag;
    Future<int> f(loop);
    f.set_result(1);
    f.add_done_callback(bag_appender(bag, 1));
    f.add_done_callback(bag_appender(bag, 2));
    CHECK(bag.empty());
    run_once(loop);
    CHECK(bag == std::vector<int>{1, 2});
  }
}

TEST_CASE("test_futures.BaseFutureDoneCallbackTests.test_callbacks_invoked_on_set_exception") {
  // Also for set_exception and cancel; each callback receives the future itself.
  EventLoop loop;
  bool cancel = GENERATE(false, true);
  CAPTURE(cancel);
  std::vector<int> bag;
  Future<int> f(loop);
  Future<int> received;
  f.add_done_callback(bag_appender(bag, 100));
  f.add_done_callback([&received](Future<int> fut) { received = fut; });
  if (cancel) {
    f.cancel();
  } else {
    f.set_exception(std::make_exception_ptr(std::runtime_error("x")));
  }
  CHECK(bag.empty());
  run_once(loop);
  CHECK(bag == std::vector<int>{100});
  CHECK(received == f);
}

TEST_CASE("test_futures.BaseFutureDoneCallbackTests.test_remove_done_callback") {
  // remove_done_callback(id) removes that registration only and says how many it removed.
  EventLoop loop;
  std::vector<int> bag;
  Future<std::string> f(loop);
  auto cb1 = f.add_done_callback(bag_appender(bag, 1));
  auto cb2 = f.add_done_callback(bag_appender(bag, 2));
  CHECK(cb1 != cb2);
  CHECK(f.remove_done_callback(cb2) == 1);
  CHECK(f.remove_done_callback(cb2) == 0);
  CHECK(f.remove_done_callback(9999) == 0);
  f.add_done_callback(bag_appender(bag, 2));
  std::vector<Future<std::string>::CallbackId> ones{cb1};
  for (int i = 0; i < 5; ++i) ones.push_back(f.add_done_callback(bag_appender(bag, 1)));
  std::size_t removed = 0;
  for (auto id : ones) removed += f.remove_done_callback(id);
  CHECK(removed == 6);
  CHECK(bag.empty());
  f.set_result("foo");
  run_once(loop);
  CHECK(bag == std::vector<int>{2});
  CHECK(f.result() == "foo");
}

TEST_CASE("test_futures.BaseFutureDoneCallbackTests.test_callbacks_remove_first_callback") {
  // Removing the first (or the third) of three callbacks keeps the others' order.
  EventLoop loop;
  bool remove_third = GENERATE(false, true);
  CAPTURE(remove_third);
  std::vector<int> bag;
  Future<std::string> f(loop);
  auto cb1 = f.add_done_callback(bag_appender(bag, 42));
  f.add_done_callback(bag_appender(bag, 17));
  auto cb3 = f.add_done_callback(bag_appender(bag, 100));
  auto victim = remove_third ? cb3 : cb1;
  CHECK(f.remove_done_callback(victim) == 1);
  CHECK(f.remove_done_callback(victim) == 0);
  f.set_result("foo");
  run_once(loop);
  CHECK(bag == (remove_third ? std::vector<int>{42, 17} : std::vector<int>{17, 100}));
}

TEST_CASE("test_futures.BaseFutureDoneCallbackTests.test_schedule_callbacks_list_mutation_1") {
  // Once scheduled, callbacks are out of the list: removing them from a callback is a no-op.
  EventLoop loop;
  std::vector<int> bag;
  Future<int> f(loop);
  Future<int>::CallbackId later = 0;
  std::size_t removed = 99;
  f.add_done_callback([&](Future<int> fut) { removed = fut.remove_done_callback(later); });
  later = f.add_done_callback(bag_appender(bag, 1));
  f.add_done_callback(bag_appender(bag, 2));
  f.set_result(1);
  run_once(loop);
  CHECK(removed == 0);
  CHECK(bag == std::vector<int>{1, 2});
}

TEST_CASE("test_futures.BaseFutureTests.test_tb_logger_exception_unretrieved") {
  // A future dropped with an exception nobody retrieved is reported to the exception handler.
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler([&messages](EventLoop&, const asyncio::ExceptionContext& ctx) {
    messages.push_back(ctx.message);
  });
  {
    Future<int> f(loop);
    f.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  }
  run_once(loop);
  CHECK(messages == std::vector<std::string>{"Future exception was never retrieved"});
}

TEST_CASE("test_futures.BaseFutureTests.test_tb_logger_abandoned") {
  // Also test_tb_logger_result_unretrieved, _exception_retrieved, _not_called_after_cancel:
  // dropping these futures reports nothing.
  EventLoop loop;
  std::vector<std::string> messages;
  loop.set_exception_handler([&messages](EventLoop&, const asyncio::ExceptionContext& ctx) {
    messages.push_back(ctx.message);
  });
  auto boom = std::make_exception_ptr(std::runtime_error("boom"));
  { Future<int> pending(loop); }
  {
    Future<int> result(loop);
    result.set_result(1);
  }
  {
    Future<int> retrieved(loop);
    retrieved.set_exception(boom);
    CHECK(retrieved.exception() == boom);
  }
  {
    Future<int> raised(loop);
    raised.set_exception(boom);
    CHECK_THROWS_AS(raised.result(), std::runtime_error);
  }
  {
    Future<int> cancelled(loop);
    cancelled.cancel();
  }
  run_once(loop);
  CHECK(messages.empty());
}
