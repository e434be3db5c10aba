"""Helpers for the sock_* pairs (sock_trace.hpp is their C++ side)."""
import asyncio


async def cancel_once_waiting(receive):
    """Starts the receive, cancels it once it waits and awaits it: True if it ended cancelled."""
    task = asyncio.create_task(receive)
    await asyncio.sleep(0)
    try:
        task.cancel()
        await task
    except asyncio.CancelledError:
        return True
    return False
