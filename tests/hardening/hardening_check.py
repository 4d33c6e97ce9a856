"""Checks that a built binary carries the hardening the build asks for, by reading its ELF
headers with readelf (binutils):

  * PIE: ELF type DYN, so the executable is loaded at a random address;
  * full RELRO: a GNU_RELRO segment, and BIND_NOW (DT_FLAGS BIND_NOW or DT_FLAGS_1 NOW) so the
    whole GOT becomes read-only after start-up;
  * stack protector: the binary calls __stack_chk_fail;
  * _FORTIFY_SOURCE: the binary calls at least one checked libc function (__*_chk).

Usage: hardening_check.py BINARY. Exits non-zero and names what is missing.
"""

import re
import subprocess
import sys


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True,
                          text=True).stdout


def problems(binary):
    found = []
    header = readelf("-h", binary)
    elf_type = re.search(r"^\s*Type:\s+(\S+)", header, re.M)
    if not elf_type or elf_type.group(1) != "DYN":
        found.append(f"not PIE: ELF type {elf_type.group(1) if elf_type else '?'}, expected DYN")
    if "GNU_RELRO" not in readelf("-l", binary):
        found.append("no GNU_RELRO segment (link with -Wl,-z,relro)")
    dynamic = readelf("-d", binary)
    bind_now = re.search(r"\(FLAGS\)\s.*\bBIND_NOW\b", dynamic) or re.search(
        r"\(FLAGS_1\)\s.*\bNOW\b", dynamic) or re.search(r"\(BIND_NOW\)", dynamic)
    if not bind_now:
        found.append("no BIND_NOW / FLAGS_1 NOW: partial RELRO only (link with -Wl,-z,now)")
    if "PIE" not in dynamic:
        found.append("DT_FLAGS_1 lacks PIE (link with -pie)")
    symbols = readelf("--dyn-syms", binary)
    if "__stack_chk_fail" not in symbols:
        found.append("no __stack_chk_fail: built without -fstack-protector-strong")
    checked = sorted(set(re.findall(r"\b(__\w+_chk)\b", symbols)) - {"__stack_chk_fail"})
    if not checked:
        found.append("no __*_chk function: built without -D_FORTIFY_SOURCE")
    return found, checked


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found, checked = problems(sys.argv[1])
    for problem in found:
        print(f"hardening: {sys.argv[1]}: {problem}")
    if not found:
        print(f"hardening: {sys.argv[1]}: PIE, full RELRO, stack protector; fortified: "
              + ", ".join(checked))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
