# Mirrors CPython test_queues._QueueJoinTestMixin.test_task_done, test_join_empty_queue and
# test_task_done_underflow: join() returns once task_done() was called for every item.
import asyncio


async def worker(q, name):
    while True:
        item = await q.get()
        print(name, "processing", item)
        await asyncio.sleep(0)
        q.task_done()
        print(name, "done with", item)


async def main():
    q = asyncio.Queue()
    await q.join()
    print("join on an empty queue returned")
    for i in range(5):
        q.put_nowait(i)
    workers = [asyncio.create_task(worker(q, f"w{i}")) for i in range(2)]
    print("joining")
    await q.join()
    print("joined, qsize:", q.qsize())
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    try:
        q.task_done()
    except ValueError as e:
        print("ValueError:", e)


asyncio.run(main())
