# Mirrors CPython test_base_events.BaseEventLoopTests.test_set_exc_handler_custom,
# test_set_exc_handler_broken and test_default_exc_handler_callback: a failing callback's
# context reaches the custom handler; None restores the default handler, which logs; a
# handler that raises makes the default handler log "Unhandled error in exception
# handler"; the loop keeps running through all of it.
import asyncio
import logging


class PrintHandler(logging.Handler):
    def emit(self, record):
        lines = record.getMessage().split("\n")
        first = lines[0]
        if first.startswith("Exception in callback "):
            first = "Exception in callback <callback>"
        print("LOG", record.levelname, first)
        if len(lines) > 1 and lines[1].startswith("context: "):
            print("LOG context names the failed callback:", "Exception in callback " in lines[1])


logging.getLogger("asyncio").addHandler(PrintHandler())
loop = asyncio.new_event_loop()
handles = []


def failing(message):
    raise ValueError(message)


def after(name):
    print("loop still runs:", name)


def handler(loop_arg, context):
    print("handler: same loop:", loop_arg is loop)
    print("handler: message prefix:", context["message"].startswith("Exception in callback "))
    exc = context["exception"]
    print("handler: exception:", type(exc).__name__, exc)
    print("handler: handle present:", "handle" in context, context["handle"] is handles[-1])


def broken_handler(loop_arg, context):
    print("broken handler called")
    raise RuntimeError("handler broke")


def fail_then_run_once(message):
    handles.append(loop.call_soon(failing, message))
    loop.call_soon(after, message)
    loop.call_soon(loop.stop)
    loop.run_forever()


print("default handler is None:", loop.get_exception_handler() is None)
loop.set_exception_handler(handler)
print("custom handler installed:", loop.get_exception_handler() is handler)
fail_then_run_once("first")

loop.set_exception_handler(None)
print("after None, handler is None:", loop.get_exception_handler() is None)
fail_then_run_once("second")

loop.set_exception_handler(broken_handler)
fail_then_run_once("third")

loop.set_exception_handler(None)
loop.call_exception_handler({"message": "custom message"})
loop.call_exception_handler({"message": ""})
fail_then_run_once("fourth")
loop.close()
