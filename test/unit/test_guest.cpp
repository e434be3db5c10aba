// Embedding in a Boost.Asio host: the loop driving a shared io_context, and the host
// driving the loop as a guest from one or several threads.
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

// Fails if two loop callbacks ever overlap.
struct SerialCheck {
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  void enter() {
    if (inside.fetch_add(1) != 0) ++overlaps;
  }
  void leave() { --inside; }
};

void run_host(asio::io_context& io, int threads) {
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
}

}  // namespace

TEST_CASE("embedding: run_forever drives the host's own Asio handlers too") {
  asio::io_context io;
  asyncio::EventLoop loop(io);
  std::vector<std::string> trace;
  asio::post(io, [&] { trace.push_back("host post"); });
  asio::steady_timer host_timer(io, std::chrono::milliseconds(1));
  host_timer.async_wait([&](boost::system::error_code ec) {
    if (!ec) trace.push_back("host timer");
    loop.call_soon([&] { loop.stop(); });  // host handlers run on the loop thread here
  });
  loop.call_soon([&] { trace.push_back("loop soon"); });
  loop.run_forever();
  CHECK(trace == std::vector<std::string>{"host post", "loop soon", "host timer"});
  CHECK(&loop.io_context() == &io);
}

TEST_CASE("embedding: one host thread drives the loop as a guest") {
  asio::io_context io;
  asyncio::EventLoop loop(io);
  std::vector<std::string> trace;
  bool running_loop_ok = true;
  auto record = [&](std::string what) {
    running_loop_ok = running_loop_ok && &asyncio::get_running_loop() == &loop && loop.is_running();
    trace.push_back(std::move(what));
  };
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  loop.call_soon(record, "soon 1");
  loop.call_soon(record, "soon 2");
  loop.call_later(0.002, record, "timer 2ms");
  loop.call_later(0.001, record, "timer 1ms");
  loop.call_later(0.003, [&] {
    record("timer 3ms");
    REQUIRE(::write(fds[1], "x", 1) == 1);
  });
  loop.add_reader(fds[0], [&] {
    char c;
    REQUIRE(::read(fds[0], &c, 1) == 1);
    record("reader");
    loop.remove_reader(fds[0]);
    std::thread([&] {
      loop.call_soon_threadsafe([&] {
        record("threadsafe");
        io.stop();
      });
    }).detach();
  });
  run_host(io, 1);
  CHECK(trace == std::vector<std::string>{"soon 1", "soon 2", "timer 1ms", "timer 2ms", "timer 3ms",
                                          "reader", "threadsafe"});
  CHECK(running_loop_ok);
  CHECK_FALSE(loop.is_running());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("embedding: four host threads never run two loop callbacks at once") {
  asio::io_context io;
  asyncio::EventLoop loop(io);
  SerialCheck serial;
  int chain = 0, timers = 0, remote = 0;  // plain ints: serialisation makes them safe
  std::function<void()> step = [&] {
    serial.enter();
    if (++chain < 2000) loop.call_soon(step);
    serial.leave();
  };
  for (int i = 0; i < 4; ++i) loop.call_soon(step);
  for (int i = 0; i < 200; ++i) {
    loop.call_later(0.0001 * (i % 20), [&] {
      serial.enter();
      ++timers;
      serial.leave();
    });
  }
  std::atomic<int> posted{0};
  std::thread producer([&] {
    for (int i = 0; i < 500; ++i) {
      loop.call_soon_threadsafe([&] {
        serial.enter();
        ++remote;
        serial.leave();
      });
      ++posted;
    }
  });
  std::function<void()> finish = [&] {
    if (timers == 200 && remote == 500 && chain >= 2000) {
      io.stop();
    } else {
      loop.call_later(0.001, finish);
    }
  };
  loop.call_soon(finish);
  run_host(io, 4);
  producer.join();
  CHECK(serial.overlaps == 0);
  CHECK(timers == 200);
  CHECK(remote == 500);
  CHECK(chain >= 2000);
}

TEST_CASE("embedding: run_until_complete on a host loop, then the host carries on as guest") {
  asio::io_context io;
  asyncio::EventLoop loop(io);
  asyncio::Future<int> fut(loop);
  bool later_ran = false;
  // Registered before run_until_complete's own callback, so it runs in the iteration that
  // stops the loop and leaves `later` pending: no timing involved.
  fut.add_done_callback([&](asyncio::Future<int>) {
    loop.call_soon([&] {
      later_ran = true;
      io.stop();
    });
  });
  loop.call_soon([&] { fut.set_result(7); });
  CHECK(loop.run_until_complete(fut) == 7);
  CHECK_FALSE(later_ran);
  io.restart();
  io.run_for(std::chrono::seconds(10));  // returns at once via io.stop(); 10 s is a safety net
  CHECK(later_ran);
}

TEST_CASE("embedding: closing the loop lets the host's io_context run out of work") {
  asio::io_context io;
  {
    asyncio::EventLoop loop(io);
    loop.call_soon([] {});
    loop.call_later(100, [] {});
    loop.close();
  }
  // The closed loop left only aborted handlers behind: io runs out of work at once. Had close()
  // left the timer's Asio wait armed, io would still have work when the safety net ends the run.
  io.run_for(std::chrono::seconds(10));
  CHECK(io.stopped());  // out of work, not timed out
}
