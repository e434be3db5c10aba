# Mirrors CPython test_subprocess.SubprocessMixin (test_create_subprocess_env_exec,
# test_create_subprocess_env_shell, test_create_subprocess_exec_with_path) and Popen's env and
# cwd: env= replaces the child's whole environment, no env inherits ours (including
# variables set at run time), cwd= runs the child in that directory, a program name
# without a slash is looked up on PATH (the PATH of env= when it is given), and a relative
# path with a slash is taken relative to cwd=.
import asyncio
import os
import tempfile
from asyncio.subprocess import PIPE

SHOW = 'printf "FOO=%s HOME=%s MARK=%s" "${FOO-unset}" "${HOME+set}" "${CONF_MARK-unset}"'


async def output(program, *args, **kwargs):
    proc = await asyncio.create_subprocess_exec(program, *args, stdout=PIPE, **kwargs)
    out, _ = await proc.communicate()
    return out.decode(), proc.returncode


async def main():
    start_cwd = os.getcwd()
    os.environ["CONF_MARK"] = "inherited"
    print("inherited env:", await output("/bin/sh", "-c", SHOW))
    print("env replaced:", await output("/bin/sh", "-c", SHOW, env={"FOO": "bar baz"}))
    print("empty env:", await output("/bin/sh", "-c", SHOW, env={}))
    print("values with '=', spaces and empty:", await output(
        "/bin/sh", "-c", 'printf "%s|%s|%s" "$A" "${B-unset}" "$C"',
        env={"A": "x=y", "B": "", "C": " two  spaces "}))
    print("program on PATH:", await output("printf", "found"))

    with tempfile.TemporaryDirectory() as tmp:
        real = os.path.realpath(tmp)
        os.mkdir(os.path.join(real, "sub dir"))
        out, code = await output("/bin/sh", "-c", "pwd -P", cwd=tmp)
        print("cwd: child's pwd is the temp dir:", out.strip() == real, code)
        out, code = await output("/bin/sh", "-c", "pwd -P; ls", cwd=os.path.join(tmp, "sub dir"))
        print("cwd with a space:", out.replace(real, "<tmp>").split("\n"), code)
        out, code = await output("/bin/sh", "-c", "pwd -P; " + SHOW, cwd=tmp, env={"FOO": "1"})
        print("cwd and env:", out.replace(real, "<tmp>").split("\n"), code)

        script = os.path.join(real, "conf-hello")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho hello from the script\n")
        os.chmod(script, 0o755)
        print("found on env's PATH:", await output("conf-hello", env={"PATH": real}))
        try:
            await output("printf", "x", env={"PATH": "/nonexistent"})
        except OSError as exc:
            print("not on env's PATH:", type(exc).__name__)
        print("./ relative to cwd:", await output("./conf-hello", cwd=tmp))
    print("parent's cwd unchanged:", os.getcwd() == start_cwd)


asyncio.run(main())
