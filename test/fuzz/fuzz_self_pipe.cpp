// libFuzzer target: the dispatch of self-pipe bytes. SIGUSR1 and SIGUSR2 bytes are raised as
// real signals (the handler counts the delivery, then writes its byte, dropped once the pipe
// is full); any other byte is written to the loop's self-pipe as is (0 is a wakeup, anything
// else a signal number nobody raised), or becomes a call_soon_threadsafe (0xFF) or a loop
// iteration (0xFE) in between. Every raised signal must run its handler once, even when
// its byte was dropped, every threadsafe call must run once, and other bytes do nothing.
#include <asyncio/asyncio.hpp>

#include "loop_impl.hpp"

#include <csignal>
#include <cstdint>
#include <cstdlib>

namespace {

struct Counts {
  long usr1 = 0;
  long usr2 = 0;
  long threadsafe = 0;
  bool operator==(const Counts&) const = default;
};

Counts seen;

void run_once(asyncio::EventLoop& loop) {
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
}

asyncio::EventLoop& fuzz_loop() {
  static asyncio::EventLoop loop;
  static bool ready = [] {
    loop.add_signal_handler(SIGUSR1, [] { ++seen.usr1; });
    loop.add_signal_handler(SIGUSR2, [] { ++seen.usr2; });
    return true;
  }();
  (void)ready;
  return loop;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  asyncio::EventLoop& loop = fuzz_loop();
  auto& pipe = asyncio::detail::LoopAccess::impl(loop).self_pipe;
  Counts want = seen;
  for (std::size_t i = 0; i < size; ++i) {
    std::uint8_t b = bytes[i];
    if (b == 0xFF) {
      loop.call_soon_threadsafe([] { ++seen.threadsafe; });
      ++want.threadsafe;
    } else if (b == 0xFE) {
      run_once(loop);
    } else if (b == SIGUSR1 || b == SIGUSR2) {
      ::raise(b);
      ++(b == SIGUSR1 ? want.usr1 : want.usr2);
    } else {
      pipe.write_byte(b);
    }
  }
  for (int i = 0; i < 3 && !(seen == want); ++i) run_once(loop);
  if (!(seen == want)) std::abort();
  return 0;
}
