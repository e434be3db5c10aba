#include <asyncio/asyncio.hpp>

#include <cstdio>

int main() {
  asyncio::EventLoop loop;
  auto fut = loop.create_future<int>();
  loop.call_later(0.001, [fut]() mutable { fut.set_result(42); });
  int result = loop.run_until_complete(fut);
  std::printf("consumer got %d\n", result);
  return result == 42 ? 0 : 1;
}
