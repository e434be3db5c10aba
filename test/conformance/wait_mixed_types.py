# Mirrors CPython test_tasks.BaseTaskTests.test_wait_first_completed with the mix a port meets:
# wait({reader, writer, stopper}, return_when=FIRST_COMPLETED) over tasks giving str, None and
# bool; `in done` / `in pending` say which finished; the pending set goes back into wait().
import asyncio


async def read_line(lines):
    return await lines.get()


async def write_forever():
    await asyncio.sleep(10)


async def main():
    lines = asyncio.Queue()
    stop = asyncio.Event()
    reader = asyncio.create_task(read_line(lines))
    writer = asyncio.create_task(write_forever())
    stopper = asyncio.create_task(stop.wait())
    asyncio.get_running_loop().call_soon(stop.set)

    done, pending = await asyncio.wait({reader, writer, stopper},
                                       return_when=asyncio.FIRST_COMPLETED)
    print("done:", len(done), "pending:", len(pending))
    print("stopper in done:", stopper in done, "result:", stopper.result())
    print("reader in pending:", reader in pending, "writer in pending:", writer in pending)

    lines.put_nowait("hello")
    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    print("reader in done:", reader in done, "result:", reader.result())
    print("writer in pending:", writer in pending, "size:", len(pending))

    done, pending = await asyncio.wait(pending, timeout=0.01)
    print("after a timeout, writer in pending:", writer in pending, "done:", len(done))
    writer.cancel()
    done, pending = await asyncio.wait(pending)
    print("writer in done:", writer in done, "cancelled:", writer.cancelled())


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
