# Mirrors CPython test_futures.BaseFutureTests.test_tb_logger_exception_unretrieved,
# test_tb_logger_exception_retrieved and test_tb_logger_not_called_after_cancel: a future
# dropped with an exception nobody retrieved reaches the exception handler, at once.
import asyncio

loop = asyncio.new_event_loop()


def handler(loop, context):
    exc = context["exception"]
    label = "ValueError" if isinstance(exc, ValueError) else "other"
    print("handler:", context["message"])
    print("  exception:", label, exc)
    print("  future done:", context["future"].done())


loop.set_exception_handler(handler)


def drop(case):
    fut = loop.create_future()
    if case == "cancelled":
        fut.cancel()
        return
    fut.set_exception(ValueError(case))
    if case == "retrieved via exception()":
        fut.exception()
    elif case == "retrieved via result()":
        try:
            fut.result()
        except ValueError:
            pass


for case in ["unretrieved", "retrieved via exception()", "retrieved via result()",
             "cancelled", "unretrieved again"]:
    print("drop:", case)
    drop(case)
print("done")
loop.close()
