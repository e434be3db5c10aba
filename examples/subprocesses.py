# The Python original of subprocesses.cpp: children run concurrently, their output read
# line by line, a large input piped through cat, and a child stopped with a signal.
import asyncio
from asyncio.subprocess import PIPE


async def run(cmd):
    proc = await asyncio.create_subprocess_shell(cmd, stdout=PIPE)
    lines = []
    async for line in proc.stdout:
        lines.append(line.decode().rstrip("\n"))
    code = await proc.wait()
    return f"[{cmd}] exited with {code}: {' | '.join(lines)}"


async def main():
    results = await asyncio.gather(run("echo one; echo two"), run("printf 'a\\nb\\nc\\n'; exit 3"))
    for result in results:
        print(result)

    cat = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, _ = await cat.communicate(b"x" * 100000)
    print("cat echoed", len(out), "bytes; returncode", cat.returncode)

    sleeper = await asyncio.create_subprocess_exec("sleep", "60")
    sleeper.terminate()
    print("sleep terminated:", await sleeper.wait())


asyncio.run(main())
