// The README's first example, verbatim (test/docs_snippets.py checks that it stays so).
#include <asyncio/asyncio.hpp>
#include <iostream>

int main() {
  asyncio::EventLoop loop;                        // loop = asyncio.new_event_loop()
  loop.call_soon([] { std::cout << "soon\n"; });  // loop.call_soon(print, "soon")
  loop.call_later(0.01, [&] {                     // loop.call_later(0.01, ...)
    std::cout << "later\n";
    loop.stop();
  });
  asyncio::Future<int> fut(loop);  // fut = loop.create_future()
  loop.call_soon([fut]() mutable { fut.set_result(42); });
  std::cout << loop.run_until_complete(fut) << "\n";  // 42
  loop.run_forever();                                 // runs until the timer stops it
  loop.close();
}
