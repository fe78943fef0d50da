#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its prompts.

usage: answer_prompts.py TRANSCRIPT ANSWER... -- CMD ARG...

Each ANSWER is typed (with a newline) only after a prompt ending in ": "
appears, as a person would type it, so the terminal's echo setting at that
moment decides whether the answer shows up in TRANSCRIPT. Exits with the
command's status.
"""
import os
import pty
import select
import sys
import time


def main():
    transcript, rest = sys.argv[1], sys.argv[2:]
    split = rest.index("--")
    answers, cmd = rest[:split], rest[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
            if answers and seen.rstrip(b"\r\n").endswith(b": "):
                time.sleep(0.1)  # let the program switch echo off first
                os.write(fd, answers.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    with open(transcript, "wb") as f:
        f.write(seen)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
