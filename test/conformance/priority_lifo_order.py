# Mirrors CPython test_queues.PriorityQueueTests.test_order and LifoQueueTests.test_order,
# plus QueueFull/QueueEmpty from the *_nowait methods: PriorityQueue pops the smallest first
# (ties broken as heapq leaves them), LifoQueue the newest.
import asyncio


class Job:
    """Ordered by priority only, like a C++ Compare on one field."""

    def __init__(self, priority, name):
        self.priority, self.name = priority, name

    def __lt__(self, other):
        return self.priority < other.priority


async def main():
    pq = asyncio.PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b"), (1, "a2"), (0, "z")]:
        await pq.put(item)
    print("priority:", *[f"{p}{n}" for p, n in [pq.get_nowait() for _ in range(5)]])

    ties = asyncio.PriorityQueue()
    for p, n in [(1, "a"), (0, "b"), (1, "c"), (0, "d"), (1, "e"), (0, "f"), (1, "g")]:
        ties.put_nowait(Job(p, n))
    print("ties:", *[ties.get_nowait().name for _ in range(7)])

    lifo = asyncio.LifoQueue(maxsize=3)
    for i in [1, 3, 2]:
        lifo.put_nowait(i)
    try:
        lifo.put_nowait(4)
    except asyncio.QueueFull:
        print("QueueFull, qsize:", lifo.qsize())
    print("lifo:", *[await lifo.get() for _ in range(3)])
    try:
        lifo.get_nowait()
    except asyncio.QueueEmpty:
        print("QueueEmpty")


asyncio.run(main())
