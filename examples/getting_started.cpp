// The first program of docs/01-getting-started.md, compiled and run in CI.
#include <asyncio/asyncio.hpp>
#include <iostream>

asyncio::Coro<int> answer() {
  co_await asyncio::sleep(0.1);
  co_return 42;
}

asyncio::Coro<void> main_coro() {
  auto [a, b] = co_await asyncio::gather(answer(), answer());
  std::cout << a + b << "\n";  // 84, after 0.1 s: both ran concurrently
}

int main() { asyncio::run(main_coro()); }
