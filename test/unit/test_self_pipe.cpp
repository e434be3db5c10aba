// The self-pipe and the call_soon_threadsafe inbox (asyncio's _write_to_self and
// _read_from_self, with the wakeup coalescing this project adds).
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "linux/self_pipe.hpp"
#include "threadsafe_inbox.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using asyncio::detail::HandleImpl;
using asyncio::detail::SelfPipe;
using asyncio::detail::ThreadsafeInbox;

namespace {

// The inbox's wakeup, counted: the loop's posts a handler to its strand.
void count_wake(void* wakes) {
  ++*static_cast<std::atomic<int>*>(wakes);
}

int pending_bytes(const SelfPipe& pipe) {
  int n = -1;
  ::ioctl(pipe.read_fd(), FIONREAD, &n);
  return n;
}

struct Counted {
  std::atomic<int>* destroyed;
  Counted(std::atomic<int>* d) : destroyed(d) {}
  Counted(const Counted&) = delete;
  ~Counted() {
    if (destroyed) ++*destroyed;
  }
};

HandleImpl* counted_handle(std::atomic<int>& destroyed) {
  auto counted = std::make_shared<Counted>(&destroyed);
  return asyncio::detail::make_handle(nullptr, [counted] {});
}

}  // namespace

TEST_CASE("self-pipe: both ends are non-blocking and close-on-exec") {
  SelfPipe pipe;
  for (int fd : {pipe.read_fd(), pipe.write_fd()}) {
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  }
}

TEST_CASE("self-pipe: drain empties the pipe and hands over non-zero bytes as signals") {
  SelfPipe pipe;
  for (std::uint8_t b : {0, 2, 0, 15, 0}) pipe.write_byte(b);
  std::vector<int> signals;
  pipe.drain([&](int sig) { signals.push_back(sig); });
  CHECK(signals == std::vector<int>{2, 15});
  CHECK(pending_bytes(pipe) == 0);
}

TEST_CASE("self-pipe: a full pipe neither blocks nor fails the writer") {
  SelfPipe pipe;
  int written = 0;
  while (::write(pipe.write_fd(), "", 1) == 1) ++written;
  REQUIRE(written > 0);
  pipe.write_byte(0);  // EAGAIN: ignored, a wakeup is pending anyway
  int drained = 0;
  pipe.drain([&](int) { ++drained; });
  CHECK(pending_bytes(pipe) == 0);
  CHECK(drained == 0);
}

TEST_CASE("inbox: concurrent pushes while a wakeup is pending wake the loop exactly once") {
  SelfPipe pipe;
  std::atomic<int> wakes{0};
  ThreadsafeInbox inbox(pipe, &count_wake, &wakes);
  std::atomic<int> destroyed{0}, refused{0};
  std::vector<std::thread> producers;  // Catch2 asserts only on the main thread
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < 250; ++i) refused += inbox.push(counted_handle(destroyed)) ? 0 : 1;
    });
  }
  for (auto& p : producers) p.join();
  CHECK(refused == 0);
  CHECK(wakes == 1);
  CHECK(pending_bytes(pipe) == 0);  // the pipe carries signals only

  int taken = 0;
  inbox.take_all([&](HandleImpl* h) {
    ++taken;
    h->release();
  });
  CHECK(taken == 1000);
  CHECK(destroyed == 1000);

  // The flag was cleared by take_all, so the next push wakes the loop again.
  REQUIRE(inbox.push(counted_handle(destroyed)));
  CHECK(wakes == 2);
  inbox.close();
  CHECK(destroyed == 1001);  // close drops what is still queued
}

TEST_CASE("inbox: close refuses pushes and closes both fds exactly once") {
  SelfPipe pipe;
  std::atomic<int> wakes{0};
  ThreadsafeInbox inbox(pipe, &count_wake, &wakes);
  int rfd = pipe.read_fd();
  inbox.close();
  inbox.close();
  CHECK(pipe.read_fd() == -1);
  CHECK(::fcntl(rfd, F_GETFD) == -1);
  std::atomic<int> destroyed{0};
  HandleImpl* h = counted_handle(destroyed);
  CHECK_FALSE(inbox.push(h));
  h->release();
  CHECK(destroyed == 1);
}

TEST_CASE("close() racing with threadsafe producers: delivery or RuntimeError, never lost") {
  // Each producer posts until it is refused. The loop runs and closes only once every producer
  // has had a post accepted, so in every round close() falls inside each producer's stream.
  constexpr int kProducers = 3;
  for (int round = 0; round < 20; ++round) {
    // Safety net: a close() that never refuses ends the producers here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto loop = std::make_unique<asyncio::EventLoop>();
    std::atomic<int> accepted{0}, refused{0}, wrong_message{0}, ran{0}, destroyed{0};
    std::atomic<int> posting{0};          // producers with a post accepted
    std::atomic<int> straddled{0};        // producers refused after a post was accepted
    std::vector<std::jthread> producers;  // joined on the way out, even by a failure
    for (int t = 0; t < kProducers; ++t) {
      producers.emplace_back([&] {
        for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
          auto counted = std::make_shared<Counted>(&destroyed);
          try {
            loop->call_soon_threadsafe([&ran, counted] { ++ran; });
            ++accepted;
            if (i == 0) ++posting;
          } catch (const asyncio::RuntimeError& e) {
            ++refused;
            if (std::string(e.what()) != "Event loop is closed") ++wrong_message;
            if (i > 0) ++straddled;
            return;
          }
          std::this_thread::yield();  // leaves the main thread room to reach close()
        }
      });
    }
    while (posting < kProducers && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    loop->close();
    for (auto& p : producers) p.join();
    CHECK(straddled == kProducers);  // the race happened: accepted before close(), refused after
    CHECK(refused == kProducers);
    CHECK(wrong_message == 0);
    CHECK(destroyed == accepted + refused);  // every callable freed once: run, dropped or refused
    CHECK(ran <= accepted);
  }
}

TEST_CASE("a callback re-posting itself thread-safely does not starve timers or readers") {
  asyncio::EventLoop loop;
  int spins = 0;
  bool timer_fired = false, reader_fired = false;
  std::function<void()> spin = [&] {
    ++spins;
    if (!(timer_fired && reader_fired)) loop.call_soon_threadsafe(spin);
  };
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], "x", 1) == 1);
  loop.add_reader(fds[0], [&] {
    reader_fired = true;
    loop.remove_reader(fds[0]);
  });
  loop.call_later(0.005, [&] { timer_fired = true; });
  loop.call_soon(spin);
  auto guard = loop.call_later(10, [&] { loop.stop(); });  // safety net only
  loop.call_later(0.006, [&] {
    if (timer_fired && reader_fired) loop.stop();
  });
  loop.run_forever();
  CHECK(timer_fired);
  CHECK(reader_fired);
  CHECK(spins > 1);
  ::close(fds[0]);
  ::close(fds[1]);
}
