// hello_loop.py, ported line for line: callbacks, timers and a future.
#include <asyncio/asyncio.hpp>

#include <iostream>
#include <string>

void print(const std::string& line) {
  std::cout << line << std::endl;
}

void hello(asyncio::EventLoop& loop, std::string name, int times) {
  print("hello " + name + " at iteration " + std::to_string(times));
  if (times < 3) loop.call_soon(hello, std::ref(loop), name, times + 1);
}

int main() {
  asyncio::EventLoop loop;
  loop.call_soon(hello, std::ref(loop), "world", 1);
  loop.call_soon(hello, std::ref(loop), "asyncio", 1);
  loop.call_later(0.01, print, "ten milliseconds later");
  asyncio::Future<int> fut(loop);
  loop.call_later(0.02, [fut]() mutable { fut.set_result(42); });
  print("result: " + std::to_string(loop.run_until_complete(fut)));
  loop.close();
}
