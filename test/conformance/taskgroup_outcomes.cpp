// Mirrors CPython test_taskgroups.TestTaskGroup.test_taskgroup_01/02 (all succeed),
// test_taskgroup_04 (the first failure cancels the siblings and the body),
// test_cancel_children_on_child_error (errors are gathered into one group: here two tasks
// failing in the same iteration) and test_taskgroup_21a (the body's own error joins them):
// failures come out as ExceptionGroup('unhandled errors in a TaskGroup'); we print its
// str() and the sorted messages of its exceptions.
#include <asyncio/asyncio.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::Task;
using asyncio::TaskGroup;

Coro<std::string> child(std::string name, double delay, bool fail = false) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const asyncio::CancelledError&) {
    trace::print("child", name, "cancelled");
    throw;
  }
  if (fail) throw std::invalid_argument(name);
  trace::print("child", name, "done");
  co_return name;
}

Coro<> fail_now(std::string name) {
  throw std::invalid_argument(name);
  co_return;
}

std::string messages(const asyncio::ExceptionGroup& eg) {
  std::vector<std::string> sorted;
  for (auto& exc : eg.exceptions) {
    try {
      std::rethrow_exception(exc);
    } catch (const std::exception& e) {
      sorted.push_back(e.what());
    }
  }
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (auto& m : sorted) out += (out.empty() ? "" : " ") + m;
  return out;
}

Coro<> main_coro() {
  {
    TaskGroup tg;
    Task<std::string> t1, t2;
    co_await tg.run([&]() -> Coro<> {
      t1 = tg.create_task(child("a", 0.02));
      t2 = tg.create_task(child("b", 0.01));
      trace::print("body done, tasks pending:", t1.done(), t2.done());
      co_return;
    });
    trace::print("all succeed:", t1.result(), t2.result());
  }
  {
    TaskGroup tg;
    Task<std::string> sibling;
    try {
      co_await tg.run([&]() -> Coro<> {
        sibling = tg.create_task(child("sibling", 10));
        tg.create_task(child("bad", 0.01, true));
        try {
          co_await asyncio::sleep(10);
        } catch (const asyncio::CancelledError&) {
          trace::print("body cancelled");
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      trace::print("ExceptionGroup:", eg.what(), messages(eg),
                   "sibling cancelled:", sibling.cancelled());
    }
  }
  {
    TaskGroup tg;
    try {
      co_await tg.run([&]() -> Coro<> {
        tg.create_task(fail_now("x"));
        tg.create_task(fail_now("y"));
        co_return;
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      trace::print("both failures collected:", messages(eg));
    }
  }
  {
    TaskGroup tg;
    try {
      co_await tg.run([&]() -> Coro<> {
        tg.create_task(child("c", 10));
        co_await asyncio::sleep(0);
        throw std::invalid_argument("body");
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      trace::print("body error collected:", messages(eg));
    }
  }
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
