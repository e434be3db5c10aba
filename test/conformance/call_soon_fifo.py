# Mirrors CPython test_events.EventLoopTestsMixin.test_call_soon and
# test_base_events.BaseEventLoopTests.test__run_once_schedule_handle:
# call_soon runs callbacks FIFO; callbacks scheduled while a batch runs wait for the next one.
import asyncio

loop = asyncio.new_event_loop()


def cb(name, depth):
    print("run", name, depth)
    if depth > 0:
        loop.call_soon(cb, name + "'", depth - 1)


for name in ["a", "b", "c"]:
    loop.call_soon(cb, name, 2)
loop.call_soon(loop.stop)
loop.run_forever()
print("after first stop")
loop.call_soon(loop.stop)
loop.run_forever()
print("after second stop")
loop.close()
