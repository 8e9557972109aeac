#!/usr/bin/python3
"""Build the Linux test guest: Debian 12's cloud kernel, a busybox initrd
whose /init checks the machine it runs on, and a small disk image.

    /usr/bin/python3 tools/linux_guest.py OUTDIR [--cache CACHEDIR]

Writes into OUTDIR:
    vmlinuz           bzImage of the newest linux-image-*-cloud-amd64 apt offers
    initrd.img        gzip'd newc cpio: busybox, /init (tests/linux/init.sh),
                      the virtio/button/evdev modules and acpid's configuration
    disk.img          4 MiB of a fixed pseudo-random pattern (no filesystem)
    linux-guest.json  kernel version, file sizes and hashes, disk sha256 and
                      the kernel command line part that names the disk

The kernel package is fetched with `apt-get download` into CACHEDIR (default
build/cache/linux) and unpacked there once; later runs use the cache and
touch no network. Every output is built in memory and written only when its
bytes differ from the file already there, so make sees no change when
nothing changed. The initrd and disk are deterministic (sorted entries,
fixed times and owners, gzip mtime 0): same inputs, same bytes.
See tests/linux/README.md.
"""

import argparse
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
META_PACKAGE = "linux-image-cloud-amd64"
BUSYBOX = "/bin/busybox"
INIT_SCRIPT = os.path.join(ROOT, "tests", "linux", "init.sh")

# Modules the guest needs; their dependencies are added from the modules'
# own depends= fields. virtio_pci drives both virtio devices; button gives
# the ACPI power button (CONFIG_ACPI_BUTTON=m in the cloud kernel) and evdev
# the /dev/input/event* device through which busybox acpid sees it.
WANTED_MODULES = ("virtio", "virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                  "virtio_pci", "virtio_blk", "virtio_rng", "button", "evdev")

DISK_SIZE = 4 << 20
DISK_SEED = b"keel linux guest disk v1"
CPIO_MTIME = 0
INITRD_DIRS = ("bin", "dev", "etc", "etc/acpi", "lib", "lib/modules", "mnt", "proc",
               "root", "sbin", "sys", "tmp", "var", "var/log", "var/run")

# busybox acpid maps the power button key (KEY_POWER, via evdev) to "PWRF"
# with its built-in map, then looks "PWRF" up in the action file: the action
# is a path under its config directory (/etc/acpi), run directly when it is
# a file.
ACPID_CONF = b"PWRF power\n"
ACPI_POWER = b"#!/bin/sh\n# Run by busybox acpid on an ACPI power button press.\n" \
             b"echo 'keel-linux: power button pressed, powering off' >/dev/console\n" \
             b"exec /bin/busybox poweroff -f\n"


class Error(Exception):
    """Something the user must fix; the message says what."""


def run(argv, cwd=None):
    """Run a command, returning (status, stdout, stderr) as text."""
    try:
        p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise Error("%s not found (is this Debian with apt?)" % argv[0])
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------- kernel package
def apt_cache(cache, *args):
    """apt-cache with its binary package cache kept in CACHEDIR: this machine
    keeps none, and rebuilding it costs most of a second per call. apt
    rebuilds the file itself whenever its package lists change."""
    return run(["apt-cache", "-o", "Dir::Cache::pkgcache=" + os.path.join(cache, "pkgcache.bin")]
               + list(args))


def resolve_package(cache):
    """The versioned image package the meta-package depends on, with the
    version apt would fetch, or (None, None) when apt's lists do not know.
    The candidate meta-package pins it exactly:
    "Depends: linux-image-6.1.0-NN-cloud-amd64 (= VERSION)"."""
    status, out, _ = apt_cache(cache, "show", "--no-all-versions", META_PACKAGE)
    if status != 0:
        return None, None
    for line in out.splitlines():
        if not line.startswith("Depends:"):
            continue
        for dep in line.split(":", 1)[1].split(","):
            m = re.match(r"\s*(linux-image-\S+-cloud-amd64)\s*\(=\s*([^)\s]+)\s*\)", dep)
            if m:
                return m.group(1), m.group(2)
    return None, None


def deb_name(package, version):
    # apt-get download writes an epoch's colon as %3a.
    return "%s_%s_amd64.deb" % (package, version.replace(":", "%3a"))


def cached_debs(cache):
    return sorted(glob.glob(os.path.join(cache, "linux-image-*-cloud-amd64_*_amd64.deb")))


def newest_cached(cache):
    """The newest kernel .deb in the cache, by dpkg's version order."""
    best = None
    for path in cached_debs(cache):
        version = os.path.basename(path).split("_")[1].replace("%3a", ":")
        if best is None or run(["dpkg", "--compare-versions", version, "gt", best[1]])[0] == 0:
            best = (path, version)
    return best[0] if best else None


def download(package, version, cache):
    """apt-get download into a scratch directory of the cache, moved into
    place only when complete: an interrupted download leaves no .deb that a
    later run would take for a good one."""
    name = deb_name(package, version)
    tmp = tempfile.mkdtemp(prefix=".download-", dir=cache)
    try:
        # As root, apt warns that its _apt user cannot write here: harmless.
        status, out, err = run(["apt-get", "download", "%s=%s" % (package, version)], cwd=tmp)
        if status != 0 or not os.path.exists(os.path.join(tmp, name)):
            raise Error("could not download %s %s with apt-get (no network?) and it is not "
                        "in the cache %s:\n%s" % (package, version, cache, (err or out).strip()))
        os.rename(os.path.join(tmp, name), os.path.join(cache, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return os.path.join(cache, name)


def kernel_deb(cache):
    """Path of the kernel .deb to use: apt's newest, downloaded if it is not
    cached yet. Without apt lists, falls back to the newest cached one."""
    os.makedirs(cache, exist_ok=True)
    package, version = resolve_package(cache)
    if package is None and not cached_debs(cache) and os.geteuid() == 0:
        run(["apt-get", "update"])  # fresh machine: apt knows no packages yet
        package, version = resolve_package(cache)
    if package is None or version is None:
        path = newest_cached(cache)
        if path is None:
            raise Error("apt does not know %s (run apt-get update) and no kernel .deb is "
                        "cached in %s" % (META_PACKAGE, cache))
        print("linux_guest: apt does not know %s; using cached %s"
              % (META_PACKAGE, os.path.basename(path)), file=sys.stderr)
        return path
    path = os.path.join(cache, deb_name(package, version))
    if os.path.exists(path):
        return path
    print("linux_guest: downloading %s %s" % (package, version), file=sys.stderr)
    return download(package, version, cache)


def unpacked(deb):
    """The .deb's files, unpacked once next to it (dpkg-deb -x takes over a
    second; later runs reuse the tree). Other versions' trees are removed."""
    tree = deb[:-len(".deb")]
    if os.path.exists(os.path.join(tree, ".complete")):
        return tree
    for old in glob.glob(os.path.join(os.path.dirname(deb), "linux-image-*_amd64")):
        if old != tree and os.path.isdir(old):
            shutil.rmtree(old)
    tmp = tempfile.mkdtemp(prefix=".unpack-", dir=os.path.dirname(deb))
    try:
        status, out, err = run(["dpkg-deb", "-x", deb, tmp])
        if status != 0:
            raise Error("dpkg-deb -x %s failed (corrupt download? delete it):\n%s"
                        % (deb, (err or out).strip()))
        open(os.path.join(tmp, ".complete"), "w").close()
        shutil.rmtree(tree, ignore_errors=True)
        os.rename(tmp, tree)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tree


def kernel_files(tree):
    """(version, vmlinuz path, config path, modules dir) of an unpacked tree."""
    images = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
    if len(images) != 1:
        raise Error("expected one boot/vmlinuz-* in %s, found %d" % (tree, len(images)))
    version = os.path.basename(images[0])[len("vmlinuz-"):]
    config = os.path.join(tree, "boot", "config-" + version)
    moddir = os.path.join(tree, "lib", "modules", version)
    if not os.path.isfile(config) or not os.path.isdir(moddir):
        raise Error("%s lacks boot/config-%s or lib/modules/%s" % (tree, version, version))
    return version, images[0], config, moddir


def read_config(path):
    values = {}
    with open(path) as f:
        for line in f:
            if line.startswith("CONFIG_") and "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                values[key] = value
    return values


def check_config(config):
    """Options the guest relies on, as the initrd is built for them."""
    needed = {"CONFIG_BLK_DEV_INITRD": "y", "CONFIG_RD_GZIP": "y", "CONFIG_DEVTMPFS": "y",
              "CONFIG_SERIAL_8250_CONSOLE": "y", "CONFIG_RTC_DRV_CMOS": "y",
              "CONFIG_HW_RANDOM": "y", "CONFIG_ACPI_BUTTON": "m", "CONFIG_INPUT_EVDEV": "m",
              "CONFIG_VIRTIO_BLK": "m", "CONFIG_HW_RANDOM_VIRTIO": "m"}
    wrong = ["%s=%s (want %s)" % (k, config.get(k, "unset"), v)
             for k, v in needed.items() if config.get(k) != v]
    if wrong:
        raise Error("kernel configuration changed; adapt tools/linux_guest.py: "
                    + ", ".join(wrong))


# ---------------------------------------------------------------- modules
def elf_section(data, wanted):
    """Contents of the named section of an ELF64 little-endian file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Error("not an ELF64 little-endian file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)

    def header(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)

    names = header(shstrndx)
    for i in range(shnum):
        name_off, _, _, _, offset, size = header(i)
        start = names[4] + name_off
        if data[start:data.index(b"\0", start)] == wanted:
            return data[offset:offset + size]
    return None


def modinfo(path):
    """The key=value strings of a module's .modinfo section."""
    with open(path, "rb") as f:
        section = elf_section(f.read(), b".modinfo")
    if section is None:
        raise Error("%s has no .modinfo section" % path)
    info = {}
    for entry in section.split(b"\0"):
        if b"=" in entry:
            key, value = entry.decode("utf-8", "replace").split("=", 1)
            info.setdefault(key, value)  # keys like alias= repeat; the first will do
    return info


def module_index(moddir):
    """Module name -> .ko path. Names use '_' where file names may use '-'."""
    index = {}
    for dirpath, _, files in os.walk(os.path.join(moddir, "kernel")):
        for name in files:
            if name.endswith(".ko"):
                index[name[:-3].replace("-", "_")] = os.path.join(dirpath, name)
    return index


def load_order(moddir, version, wanted):
    """The wanted modules and everything they depend on, each after its
    dependencies (ties broken by name, so the order is stable).
    Returns [(name, path)]."""
    index = module_index(moddir)
    infos, order, state = {}, [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise Error("module dependency cycle: " + " -> ".join(chain + [name]))
        if name not in index:
            raise Error("module %s (needed by %s) not found in %s"
                        % (name, " -> ".join(chain) or "the guest", moddir))
        state[name] = "visiting"
        info = infos[name] = modinfo(index[name])
        if not info.get("vermagic", "").startswith(version + " "):
            raise Error("%s: vermagic %r is not for %s" % (index[name], info.get("vermagic"),
                                                           version))
        for dep in sorted(d for d in info.get("depends", "").split(",") if d):
            visit(dep.replace("-", "_"), chain + [name])
        state[name] = "done"
        order.append((name, index[name]))

    for name in sorted(wanted):
        visit(name, [])
    return order


# ---------------------------------------------------------------- initrd
def cpio_entry(name, mode, data=b"", ino=0, rdev=(0, 0)):
    """One newc cpio record (header, NUL-terminated name, data, each padded
    to 4 bytes). Owner root, fixed mtime: the archive depends only on its
    contents."""
    name_bytes = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, CPIO_MTIME, len(data),
              0, 0, rdev[0], rdev[1], len(name_bytes), 0)
    header = b"070701" + b"".join(b"%08X" % v for v in fields)
    out = header + name_bytes
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def is_static_elf(data):
    """True when the ELF has no PT_INTERP (needs no dynamic loader)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3
               for i in range(phnum))


def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise Error("cannot read %s %s: %s" % (what, path, e.strerror))


def initrd_files(version, modules):
    """path -> (mode, data) of every regular file in the initrd."""
    busybox = read_file(BUSYBOX, "busybox")
    if not is_static_elf(busybox):
        raise Error("%s is not statically linked: install busybox-static "
                    "(make deps)" % BUSYBOX)
    files = {
        "bin/busybox": (0o755, busybox),
        "init": (0o755, read_file(INIT_SCRIPT, "init script")),
        "etc/acpid.conf": (0o644, ACPID_CONF),
        "etc/acpi/power": (0o755, ACPI_POWER),
        "etc/keel-kernel": (0o644, version.encode() + b"\n"),
        # /init loads these in this order.
        "lib/modules/load-order": (0o644, "".join("%s.ko\n" % n for n, _ in modules).encode()),
    }
    for name, path in modules:
        files["lib/modules/%s.ko" % name] = (0o644, read_file(path, "module"))
    return files


def make_initrd(version, modules):
    files = initrd_files(version, modules)
    entries = [(d, stat.S_IFDIR | 0o755, b"", (0, 0)) for d in INITRD_DIRS]
    # The kernel opens /dev/console for init's stdio before /init mounts
    # devtmpfs, so the archive carries that one node itself.
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", (5, 1)))
    entries += [(p, stat.S_IFREG | mode, data, (0, 0)) for p, (mode, data) in files.items()]
    entries.sort(key=lambda e: e[0])  # parents sort before their children
    archive = b"".join(cpio_entry(name, mode, data, ino, rdev)
                       for ino, (name, mode, data, rdev) in enumerate(entries, 1))
    archive += cpio_entry("TRAILER!!!", 0)
    return gzip.compress(archive, compresslevel=6, mtime=0)


# ---------------------------------------------------------------- outputs
def make_disk():
    """A pattern that differs in every sector (SHAKE-256 of a fixed seed),
    so a misplaced or repeated sector changes the guest's sha256."""
    return hashlib.shake_256(DISK_SEED).digest(DISK_SIZE)


def write_if_changed(path, data):
    """Write data to path unless the file already holds exactly it.
    Returns True when the file was (re)written."""
    try:
        if os.path.getsize(path) == len(data):
            with open(path, "rb") as f:
                if f.read() == data:
                    return False
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def describe(data):
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def build(outdir, cache):
    deb = kernel_deb(cache)
    version, vmlinuz_path, config_path, moddir = kernel_files(unpacked(deb))
    check_config(read_config(config_path))
    modules = load_order(moddir, version, WANTED_MODULES)
    outputs = {
        "vmlinuz": read_file(vmlinuz_path, "kernel"),
        "initrd.img": make_initrd(version, modules),
        "disk.img": make_disk(),
    }
    disk_sha = hashlib.sha256(outputs["disk.img"]).hexdigest()
    meta = {
        "kernel_version": version,
        "kernel_package": os.path.basename(deb),
        "modules": [name for name, _ in modules],
        "files": {name: describe(data) for name, data in outputs.items()},
        "disk_sha256": disk_sha,
        "cmdline": "console=ttyS0 keel.disk_sha256=" + disk_sha,
    }
    outputs["linux-guest.json"] = (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode()
    os.makedirs(outdir, exist_ok=True)
    for name, data in outputs.items():
        if write_if_changed(os.path.join(outdir, name), data):
            print("  LINUX   %s" % os.path.join(outdir, name))
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "cache", "linux"),
                    help="where kernel .debs are downloaded and unpacked "
                    "(default build/cache/linux)")
    args = ap.parse_args()
    try:
        build(os.path.abspath(args.outdir), os.path.abspath(args.cache))
    except Error as e:
        print("linux_guest: error: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
