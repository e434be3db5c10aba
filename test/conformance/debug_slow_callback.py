# Mirrors CPython test_base_events.BaseEventLoopTests.test_log_slow_callbacks: in debug
# mode a callback (or timer) that runs for slow_callback_duration (0.1 s) or longer logs
# the warning "Executing <handle> took N seconds"; fast callbacks log nothing.
import asyncio
import logging
import re

SLOW = re.compile(r"^Executing <(\w+) .*> took ([0-9.]+) seconds$")


class PrintHandler(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        match = SLOW.match(message)
        if match:
            took = "slow" if float(match.group(2)) >= 0.1 else "fast"
            message = f"Executing <{match.group(1)}> took {took} seconds"
        print("LOG", record.levelname, message)


logging.getLogger("asyncio").addHandler(PrintHandler())
loop = asyncio.new_event_loop()


def busy(name, seconds):
    print("start", name)
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        pass
    print("end", name)


loop.set_debug(True)
print("debug:", loop.get_debug(), "threshold is 0.1:", loop.slow_callback_duration == 0.1)
loop.call_soon(busy, "fast callback", 0)
loop.call_soon(busy, "slow callback", 0.15)
loop.call_later(0.001, busy, "slow timer", 0.15)
loop.call_later(0.01, loop.stop)
loop.run_forever()
loop.set_debug(False)
loop.call_soon(busy, "slow callback, debug off", 0.15)
loop.call_soon(loop.stop)
loop.run_forever()
print("done")
loop.close()
