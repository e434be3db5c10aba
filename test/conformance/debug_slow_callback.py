# Mirrors CPython test_base_events.BaseEventLoopTests.test_log_slow_callbacks: in debug
# mode a callback (or timer) that runs for slow_callback_duration (0.1 s) or longer logs
# the warning "Executing <handle> took N seconds" (N shown in whole tenths, so that a wrong
# unit shows); fast callbacks log nothing.
import asyncio
import logging
import math
import re

SLOW = re.compile(r"^Executing <(\w+) .*> took ([0-9.]+) seconds$")


class PrintHandler(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        match = SLOW.match(message)
        if match:
            # Whole tenths: a callback busy for 0.2 s takes 0.2 s and a little, never 0.3 s.
            tenths = math.floor(float(match.group(2)) * 10)
            message = f"Executing <{match.group(1)}> took {tenths // 10}.{tenths % 10} seconds"
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
loop.call_soon(busy, "slow callback", 0.2)
loop.call_later(0.001, busy, "slow timer", 0.2)
loop.call_later(0.01, loop.stop)
loop.run_forever()
loop.set_debug(False)
loop.call_soon(busy, "slow callback, debug off", 0.15)
loop.call_soon(loop.stop)
loop.run_forever()
print("done")
loop.close()
