// Conan's test_package: a task, a timer and a gather through the packaged library.
#include <asyncio/asyncio.hpp>

#include <cstdio>

asyncio::Coro<int> answer() {
  co_await asyncio::sleep(0.001);
  co_return 21;
}

asyncio::Coro<int> main_coro() {
  auto [a, b] = co_await asyncio::gather(answer(), answer());
  co_return a + b;
}

int main() {
  int result = asyncio::run(main_coro());
  std::printf("asyncio-cpp test_package: %d\n", result);
  return result == 42 ? 0 : 1;
}
