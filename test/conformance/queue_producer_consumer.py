# Mirrors CPython test_queues.QueueBasicTests.test_maxsize and
# QueueGetTests.test_why_are_getters_waiting: a producer and a consumer on Queue(maxsize=2)
# block and wake each other in exactly asyncio's order.
import asyncio


async def producer(q):
    for i in range(6):
        print("put", i, "qsize:", q.qsize(), "full:", q.full())
        await q.put(i)
        print("put", i, "done")
    await q.put(None)


async def consumer(q):
    while True:
        print("get, qsize:", q.qsize())
        item = await q.get()
        print("got", item)
        if item is None:
            return
        if item % 2:
            await asyncio.sleep(0)


async def main():
    q = asyncio.Queue(maxsize=2)
    print("maxsize:", q.maxsize, "empty:", q.empty())
    await asyncio.gather(producer(q), consumer(q))
    print("empty at end:", q.empty())


asyncio.run(main())
