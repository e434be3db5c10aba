// Mirrors CPython test_tasks.BaseTaskTests.test_wait_first_completed with the mix a port meets:
// wait({reader, writer, stopper}, return_when=FIRST_COMPLETED) over tasks giving str, None and
// bool; `in done` / `in pending` say which finished; the pending set goes back into wait().
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <string>

#include "trace.hpp"

using namespace std::chrono_literals;

asyncio::Coro<std::string> read_line(asyncio::Queue<std::string>& lines) {
  co_return co_await lines.get();
}

asyncio::Coro<void> write_forever() {
  co_await asyncio::sleep(10);
}

asyncio::Coro<> main_coro() {
  asyncio::Queue<std::string> lines;
  asyncio::Event stop;
  auto reader = asyncio::create_task(read_line(lines));
  auto writer = asyncio::create_task(write_forever());
  auto stopper = asyncio::create_task(stop.wait());
  asyncio::get_running_loop().call_soon([&stop] { stop.set(); });

  auto [done, pending] =
      co_await asyncio::wait({reader, writer, stopper}, asyncio::FIRST_COMPLETED);
  trace::print("done:", done.size(), "pending:", pending.size());
  trace::print("stopper in done:", done.contains(stopper), "result:", stopper.result());
  trace::print("reader in pending:", pending.contains(reader),
               "writer in pending:", pending.contains(writer));

  lines.put_nowait("hello");
  auto [done2, pending2] = co_await asyncio::wait(pending, asyncio::FIRST_COMPLETED);
  trace::print("reader in done:", done2.contains(reader), "result:", reader.result());
  trace::print("writer in pending:", pending2.contains(writer), "size:", pending2.size());

  auto [done3, pending3] = co_await asyncio::wait(pending2, 10ms);
  trace::print("after a timeout, writer in pending:", pending3.contains(writer),
               "done:", done3.size());
  writer.cancel();
  auto [done4, pending4] = co_await asyncio::wait(pending3);
  trace::print("writer in done:", done4.contains(writer), "cancelled:", writer.cancelled());
}

int main() {
  asyncio::EventLoop loop;
  loop.run_until_complete(main_coro());
  loop.close();
}
