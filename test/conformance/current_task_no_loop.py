# Mirrors CPython test_tasks.BaseCurrentLoopTests.test_current_task_no_running_loop_implicit and
# asyncio.all_tasks' documented error: outside a running loop both raise
# RuntimeError('no running event loop').
import asyncio

for name, fn in [("current_task", asyncio.current_task), ("all_tasks", asyncio.all_tasks)]:
    try:
        fn()
        print(name, "returned without a running loop")
    except RuntimeError as e:
        print(name, "raises RuntimeError:", e)
