#!/usr/bin/env python3
"""Forges bundles for the tests: a hostile but correctly signed bundle.

Starting from an honest bundle and its unpacked bag, it writes a new tar
(altered as CASE says), compresses it with stock zstd, encrypts it with
stock age to RECIPIENT, rewrites the statement's volume line (and, where the
case needs, its bag lines) and signs the statement with stock minisign. So
everything a verifier checks before the tar is sound, and only the
content is hostile: the checks that must catch it are the tar and bag ones.

usage: forge_bundle.py CASE BUNDLE BAG RECIPIENTS MINISIGN_SK MINISIGN_PK OUT
  BUNDLE  the honest bundle folder (its statement is the template)
  BAG     the honest bag, unpacked (OUT gets XJ/<id>/ with the forgery)
  RECIPIENTS  age1... recipients, comma-separated, one per office
"""
import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile

case, bundle, bag, recipient, sk, pk, out = sys.argv[1:8]
stmt = open(os.path.join(bundle, "bundle.stmt"), encoding="utf-8").read()
bid = re.search(r"^id: (.*)$", stmt, re.M).group(1)
created = re.search(r"^created: (.*)$", stmt, re.M).group(1)
mtime = 1700000000


def bag_files():
    """The bag's files as (path, bytes), in byte order of their paths."""
    files = []
    for root, _, names in os.walk(bag):
        for n in names:
            full = os.path.join(root, n)
            files.append((os.path.relpath(full, bag), open(full, "rb").read()))
    files.sort(key=lambda f: f[0].encode())
    if case == "held-altered":
        files = alter_held(files)
    if case == "merged-registry":
        files = add_registry(files)
    if case == "held-chain-extra":
        files = held_chain_extra(files)
    if case == "held-signature":
        files = held_signature(files)
    return files


def remanifest(by_name):
    """The merger's manifests and statement made to agree with by_name."""
    global stmt
    payload = sorted(p for p in by_name if p.startswith("data/"))
    octets = sum(len(by_name[p]) for p in payload)
    by_name["bag-info.txt"] = re.sub(
        rb"Payload-Oxum: [0-9.]*", f"Payload-Oxum: {octets}.{len(payload)}".encode(),
        by_name["bag-info.txt"])
    by_name["manifest-sha512.txt"] = "".join(
        f"{hashlib.sha512(by_name[p]).hexdigest()}  {p}\n" for p in payload).encode()
    tags = []
    for line in by_name["tagmanifest-sha512.txt"].decode().splitlines():
        path = line.split("  ", 1)[1]
        tags.append(f"{hashlib.sha512(by_name[path]).hexdigest()}  {path}\n")
    by_name["tagmanifest-sha512.txt"] = "".join(tags).encode()
    stmt = re.sub(r"^bag-tagmanifest-sha512: .*$",
                  "bag-tagmanifest-sha512: "
                  + hashlib.sha512(by_name["tagmanifest-sha512.txt"]).hexdigest(),
                  stmt, count=1, flags=re.M)
    octets = sum(len(by_name[p]) for p in payload)
    stmt = re.sub(r"^bag-oxum: .*$", f"bag-oxum: {octets}.{len(payload)}",
                  stmt, count=1, flags=re.M)
    return sorted(by_name.items(), key=lambda f: f[0].encode())


def add_registry(files):
    """A merger's forgery: a registry of its own beside the children, so
    that recomputed counts would be its own invention."""
    by_name = dict(files)
    school = [p for p in by_name if p.endswith("/bag/data/registry/school.csv")][0]
    by_name["data/registry/school.csv"] = by_name[school]
    return remanifest(by_name)


HELD_CHILD = "data/children/3134000000-340102-000001"
HELD = HELD_CHILD + "/bag/data/registry/students.csv"


def held_chain_extra(files):
    """A merger's forgery: a file of its own in a held school's chain/ (a
    chain folder holds statements and signatures, nothing else)."""
    by_name = dict(files)
    by_name[HELD_CHILD + "/chain/notes.txt"] = b"nothing to see\n"
    return remanifest(by_name)


def held_signature(files):
    """A merger's forgery: a held school's statement signature changed (one
    byte of its Ed25519 signature), its own manifests made to agree."""
    by_name = dict(files)
    name = [p for p in by_name if p.startswith(HELD_CHILD + "/bundle.stmt.")
            and p.endswith(".minisig")][0]
    lines = by_name[name].decode().split("\n")
    raw = bytearray(base64.b64decode(lines[1]))
    raw[20] ^= 1
    lines[1] = base64.b64encode(bytes(raw)).decode()
    by_name[name] = "\n".join(lines).encode()
    return remanifest(by_name)


def alter_held(files):
    """A merger's forgery: one byte of a school's file held in the bag
    changed, and the merger's own manifests (and so its signed statement)
    made to agree. Only the school's own manifest still tells."""
    global stmt
    by_name = dict(files)
    data = bytearray(by_name[HELD])
    data[-3] ^= 1
    by_name[HELD] = bytes(data)
    lines = []
    for line in by_name["manifest-sha512.txt"].decode().splitlines():
        digest, path = line.split("  ", 1)
        if path == HELD:
            digest = hashlib.sha512(by_name[HELD]).hexdigest()
        lines.append(f"{digest}  {path}\n")
    by_name["manifest-sha512.txt"] = "".join(lines).encode()
    tags = []
    for line in by_name["tagmanifest-sha512.txt"].decode().splitlines():
        digest, path = line.split("  ", 1)
        tags.append(f"{hashlib.sha512(by_name[path]).hexdigest()}  {path}\n")
    by_name["tagmanifest-sha512.txt"] = "".join(tags).encode()
    stmt = re.sub(r"^bag-tagmanifest-sha512: .*$",
                  "bag-tagmanifest-sha512: "
                  + hashlib.sha512(by_name["tagmanifest-sha512.txt"]).hexdigest(),
                  stmt, count=1, flags=re.M)
    return sorted(by_name.items(), key=lambda f: f[0].encode())


class Zeros(io.RawIOBase):
    """An endless stream of zero bytes (a decompression bomb's content)."""

    def readinto(self, b):
        b[:] = bytes(len(b))
        return len(b)


def add(tar, path, data=b"", kind=tarfile.REGTYPE, link="", size=None, src=None):
    info = tarfile.TarInfo(path)
    info.type = kind
    info.mtime = mtime
    info.mode = 0o644
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data) if size is None else size
        tar.addfile(info, src if src is not None else io.BytesIO(data))
    else:
        tar.addfile(info)


def write_tar(sink):
    files = bag_files()
    by_name = dict(files)
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        entries = list(files)
        if case == "missing":  # a payload file the manifest lists is gone
            entries = [f for f in entries if f[0] != "data/registry/classes.csv"]
        if case == "extra":  # a payload file the manifest does not list
            entries.append(("data/registry/photos/extra.jpg", b"a,b\r\n"))
            entries.sort(key=lambda f: f[0].encode())
        if case == "altered":  # one byte of one payload file changed
            data = bytearray(by_name["data/registry/students.csv"])
            data[-3] ^= 1
            entries = [(p, bytes(data) if p == "data/registry/students.csv" else d)
                       for p, d in entries]
        if case == "no-tagmanifest":
            entries = [f for f in entries if f[0] != "tagmanifest-sha512.txt"]
        if case == "out-of-order":
            entries[0], entries[1] = entries[1], entries[0]
        for path, data in entries:
            if case == "bomb" and path == "data/registry/students.csv":
                add(tar, f"{bid}/{path}", size=256 << 20, src=Zeros())
                return  # the verifier stops long before the end
            add(tar, f"{bid}/{path}", data)
            if path == "bagit.txt":
                if case == "traversal":
                    add(tar, f"{bid}/../../escaped.txt", b"out\n")
                if case == "absolute":
                    add(tar, "/tmp/xjpack-absolute.txt", b"out\n")
                if case == "symlink":
                    add(tar, f"{bid}/data/link", kind=tarfile.SYMTYPE, link="/etc/passwd")
                if case == "hardlink":
                    add(tar, f"{bid}/data/hard", kind=tarfile.LNKTYPE,
                        link=f"{bid}/bagit.txt")
                if case == "device":
                    add(tar, f"{bid}/data/dev", kind=tarfile.CHRTYPE)
                if case == "directory":
                    add(tar, f"{bid}/data/dir", kind=tarfile.DIRTYPE)
                if case == "duplicate":
                    add(tar, f"{bid}/bagit.txt", data)
                if case == "case-collision":
                    add(tar, f"{bid}/BAGIT.txt", data)
            if case == "outside" and path == "bagit.txt":
                add(tar, "other-bundle/x.txt", b"x\n")


vdir = os.path.join(out, "XJ", bid)
os.makedirs(vdir)
if os.path.isdir(os.path.join(bundle, "chain")):  # the sender's certificates
    shutil.copytree(os.path.join(bundle, "chain"), os.path.join(vdir, "chain"))
payload = os.path.join(vdir, "payload.tar.zst.age")
zstd_args = ["zstd", "-q", "-3", "-c"]
if case == "long-window":  # a frame that needs a 128 MiB window
    zstd_args = ["zstd", "-q", "-3", "--long=27", "-c"]
with open(payload, "wb") as f:
    rs = [a for r in recipient.split(",") for a in ("-r", r)]
    age = subprocess.Popen(["age", *rs], stdin=subprocess.PIPE, stdout=f)
    zstd = subprocess.Popen(zstd_args, stdin=subprocess.PIPE, stdout=age.stdin)
    age.stdin.close()
    if case == "trailing":  # garbage after the tar's end-of-archive blocks
        buf = io.BytesIO()
        write_tar(buf)
        zstd.stdin.write(buf.getvalue() + b"trailing garbage")
    else:
        write_tar(zstd.stdin)
    zstd.stdin.close()
    if zstd.wait() != 0 or age.wait() != 0:
        sys.exit("zstd or age failed")

data = open(payload, "rb").read()
if case == "records":  # more students claimed than the schools sent
    stmt = re.sub(r"^records: (\d+)$", lambda m: f"records: {int(m.group(1)) + 100}",
                  stmt, count=1, flags=re.M)
if case == "backdated":  # children would be judged at a time long past
    stmt = re.sub(r"^created: .*$", "created: 2020-01-01T00:00:00Z", stmt,
                  count=1, flags=re.M)
stmt = re.sub(r"^volume: .*$",
              f"volume: 001 {len(data)} {hashlib.sha512(data).hexdigest()}",
              stmt, count=1, flags=re.M)
with open(os.path.join(vdir, "bundle.stmt"), "w", encoding="utf-8", newline="") as f:
    f.write(stmt)

# The stock minisign key's id, as its signature file name spells it.
raw = base64.b64decode(open(pk).read().splitlines()[1])
keyid = "%016X" % int.from_bytes(raw[2:10], "little")
subprocess.run(["minisign", "-S", "-s", sk, "-m", os.path.join(vdir, "bundle.stmt"),
                "-x", os.path.join(vdir, f"bundle.stmt.{keyid}.minisig"),
                "-t", f"xjtrust/1 bundle {bid} clerk {created}"],
               check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
print(vdir)
