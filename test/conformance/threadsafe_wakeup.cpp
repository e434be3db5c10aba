// Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon_threadsafe (the self-pipe
// wakes a loop blocked in select): with nothing ready and no timer due, a
// call_soon_threadsafe from another thread wakes the idle loop, runs, and can stop it.
#include <asyncio/asyncio.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "trace.hpp"

// threading.Event: set/clear/wait.
class Event {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    flag_ = true;
    cv_.notify_all();
  }
  void clear() {
    std::lock_guard lock(mutex_);
    flag_ = false;
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return flag_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool flag_ = false;
};

asyncio::EventLoop loop;
Event go;
std::thread::id main_thread = std::this_thread::get_id();

void wake(std::string name) {
  bool on_loop_thread = std::this_thread::get_id() == main_thread;
  trace::print("woken by", name, "on the loop thread:", on_loop_thread);
  loop.stop();
}

void worker() {
  for (const char* round_name : {"round 1", "round 2"}) {
    go.wait();
    go.clear();
    loop.call_soon_threadsafe(wake, std::string(round_name));
  }
}

void arm(std::string name) {
  trace::print(name, "armed: the loop goes idle");
  go.set();
}

void never() {
  trace::print("never");
}

int main() {
  std::thread thread(worker);
  loop.call_soon(arm, std::string("round 1"));
  loop.run_forever();
  trace::print("round 1 returned");
  // Idle again, this time with a distant timer that must not fire.
  auto far = loop.call_later(3600, never);
  loop.call_soon(arm, std::string("round 2"));
  loop.run_forever();
  trace::print("round 2 returned, far cancelled:", far.cancelled());
  far.cancel();
  thread.join();
  trace::print("worker joined");
  loop.close();
}
