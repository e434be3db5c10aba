# Mirrors CPython test_base_events.BaseEventLoopTests.test_default_exc_handler_coro (and
# test_futures' test_tb_logger_exception_unretrieved, for tasks): a failed task whose
# exception nobody retrieved reports "Task exception was never retrieved" to the exception
# handler when it is dropped (Python: del + gc.collect(); C++: the last Task reference
# goes). A retrieved exception, an awaited task or a cancelled task report nothing.
import asyncio
import gc


def handler(loop, context):
    exc = context["exception"]
    print("handler:", context["message"])
    print("  exception:", type(exc).__name__, exc, "- future given:", "future" in context)


async def failing(message):
    raise ValueError(message)


async def main():
    asyncio.get_running_loop().set_exception_handler(handler)
    for case in ["unretrieved", "exception()", "awaited", "cancelled"]:
        t = asyncio.create_task(failing(case))
        if case == "cancelled":
            t.cancel()
        await asyncio.sleep(0)
        print("drop:", case, "- done:", t.done())
        if case == "exception()":
            t.exception()
        elif case == "awaited":
            try:
                await t
            except ValueError:
                pass
        del t
        gc.collect()
    print("all dropped")


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
