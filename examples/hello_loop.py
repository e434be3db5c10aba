# The Python original of hello_loop.cpp.
import asyncio


def hello(loop, name, times):
    print(f"hello {name} at iteration {times}")
    if times < 3:
        loop.call_soon(hello, loop, name, times + 1)


def main():
    loop = asyncio.new_event_loop()
    loop.call_soon(hello, loop, "world", 1)
    loop.call_soon(hello, loop, "asyncio", 1)
    loop.call_later(0.01, print, "ten milliseconds later")
    fut = loop.create_future()
    loop.call_later(0.02, fut.set_result, 42)
    print("result:", loop.run_until_complete(fut))
    loop.close()


main()
