#!/usr/bin/python3
"""Keel's test runner: unit tests (cmocka binaries) then system tests (pytest
booting the image in emulators), ending with one summary line.

    /usr/bin/python3 tests/run.py --build build --image build/keel.img
        [--no-unit] [--no-system] [--emu qemu,bochs] [-k EXPR] [-x]

The last line of output is always "N passed, N failed" (with ", N skipped"
when something was skipped); the exit status is non-zero when anything failed
or nothing ran at all. --emu (or KEEL_EMU) limits the system tests to some
emulators; KEEL_TIMEOUT_SCALE stretches every emulator time limit.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
UNIT_TIMEOUT = 120  # seconds per unit-test binary

TAP_PLAN = re.compile(r"^1\.\.(\d+)\s*$", re.M)
TAP_RESULT = re.compile(r"^(not )?ok \d+\b(.*)$")
TAP_SKIP = re.compile(r"#\s*SKIP\b", re.I)


class Tally:
    def __init__(self, passed=0, failed=0, skipped=0):
        self.passed, self.failed, self.skipped = passed, failed, skipped

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def total(self):
        return self.passed + self.failed + self.skipped

    def __str__(self):
        text = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            text += ", %d skipped" % self.skipped
        return text


# ---------------------------------------------------------------- unit tests
def unit_binaries(build):
    """build/unit/test_NAME executables (not the compiler's side files)."""
    paths = sorted(glob.glob(os.path.join(build, "unit", "test_*")))
    return [p for p in paths
            if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p)]


def parse_tap(output, status):
    """Count a cmocka binary's results from its TAP output. Tests the plan
    promised but never reported (the binary crashed) count as failures, and
    a binary that failed with no failure reported counts as one failure."""
    tally = Tally()
    planned = None
    for line in output.splitlines():
        plan = TAP_PLAN.match(line)
        if plan and planned is None:
            planned = int(plan.group(1))
            continue
        result = TAP_RESULT.match(line)
        if not result:
            continue
        if TAP_SKIP.search(result.group(2)):
            tally.skipped += 1
        elif result.group(1):
            tally.failed += 1
        else:
            tally.passed += 1
    if planned is not None and tally.total() < planned:
        tally.failed += planned - tally.total()
    if (status != 0 or tally.total() == 0) and tally.failed == 0:
        tally.failed = 1
    return tally


def describe_status(status):
    if status is None:
        return "timed out after %d s" % UNIT_TIMEOUT
    if status < 0:
        return "killed by signal %d" % -status
    return "exit status %d" % status


def run_unit_binary(path):
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="tap")
    try:
        proc = subprocess.run([path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env, timeout=UNIT_TIMEOUT, cwd=ROOT)
        output, status = proc.stdout.decode("utf-8", "replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        output, status = (e.output or b"").decode("utf-8", "replace"), None
    tally = parse_tap(output, 1 if status is None else status)
    return tally, output, status


def run_unit(build):
    binaries = unit_binaries(build)
    total = Tally()
    print("== unit tests (%d binaries in %s)" % (len(binaries), os.path.join(build, "unit")))
    for path in binaries:
        tally, output, status = run_unit_binary(path)
        total.add(tally)
        name = os.path.basename(path)
        note = "" if status == 0 else " (%s)" % describe_status(status)
        if not TAP_PLAN.search(output):
            note += " (no cmocka TAP output)"
        print("  %-28s %s%s" % (name, tally, note))
        if tally.failed:
            for line in output.rstrip().splitlines():
                print("    | " + line)
    print("unit: %s" % total)
    return total


# ---------------------------------------------------------------- system tests
def parse_junit(path):
    """Totals from pytest's JUnit XML (one or several <testsuite>s)."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tally = Tally()
    for suite in suites:
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        tally.failed += bad
        tally.skipped += skipped
        tally.passed += tests - bad - skipped
    return tally


def run_system(build, image, emu, pytest_args):
    junit = os.path.join(build, "system-tests.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    argv = [PYTHON, "-m", "pytest", os.path.join(ROOT, "tests", "system"),
            "-v", "-rfEs", "--rootdir", ROOT, "--junitxml", junit,
            "-o", "cache_dir=" + os.path.join(build, ".pytest_cache"),
            "--keel-image", image, "--keel-workdir", os.path.join(build, "systest")]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if emu:
        env["KEEL_EMU"] = emu
    print("== system tests (image %s, emulators: %s)"
          % (image, env.get("KEEL_EMU") or "all"), flush=True)
    status = subprocess.run(argv + pytest_args, env=env, cwd=ROOT).returncode
    if not os.path.exists(junit):
        print("system: pytest wrote no results (exit status %d)" % status)
        return Tally(failed=1)
    tally = parse_junit(junit)
    if status not in (0, 5) and tally.failed == 0:
        # pytest failed outside any test (collection or internal error).
        tally.failed = 1
    print("system: %s" % tally)
    return tally


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--image", default=None, help="boot image (default BUILD/keel.img)")
    ap.add_argument("--no-unit", action="store_true", help="skip the unit tests")
    ap.add_argument("--no-system", action="store_true", help="skip the system tests")
    ap.add_argument("--emu", default=None,
                    help="system tests only on these emulators, e.g. qemu or qemu,bochs")
    ap.add_argument("-k", dest="keyword", help="pytest -k expression for the system tests")
    ap.add_argument("-x", dest="exitfirst", action="store_true", help="pytest -x")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    image = os.path.abspath(args.image or os.path.join(build, "keel.img"))

    total = Tally()
    if not args.no_unit:
        total.add(run_unit(build))
    if not args.no_system:
        extra = (["-k", args.keyword] if args.keyword else []) + (["-x"] if args.exitfirst else [])
        total.add(run_system(build, image, args.emu, extra))
    print(total)
    sys.exit(0 if total.failed == 0 and total.passed > 0 else 1)


if __name__ == "__main__":
    main()
