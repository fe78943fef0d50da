"""Tools to forge bundles for the hostile corpus: edit a statement and sign
it again with a stock minisign key, rebuild a bag's manifests, write a
payload (a pax tar, compressed with stock zstd, encrypted with stock age),
and cut it into volumes.

Everything a forger holds is real: the keys named keys/s-* are certified
(or trusted with -p), so only the hostile content is wrong, and the check
that must catch it is the one a case is about."""
import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

MTIME = 1700000000
CHUNK = 65536 + 16  # one age STREAM chunk of ciphertext


def keyid_of_pub(pub):
    raw = base64.b64decode(Path(pub).read_text().splitlines()[1])
    return "%016X" % int.from_bytes(raw[2:10], "little")


def keyid_of_key(key):
    """The key id of a stock (unencrypted) minisign secret key file."""
    raw = base64.b64decode(Path(key).read_text().splitlines()[1])
    return "%016X" % int.from_bytes(raw[54:62], "little")


def alias_key(key, out, keyid):
    """A copy of a stock minisign secret key under another key id (the same
    Ed25519 key): minisign then signs with that id in the signature."""
    lines = Path(key).read_text().splitlines()
    raw = bytearray(base64.b64decode(lines[1]))
    assert raw[2:4] == b"\0\0", "the key must have no passphrase (minisign -W)"
    raw[54:62] = keyid.to_bytes(8, "little")
    sk = bytes(raw[62:126])
    raw[126:158] = hashlib.blake2b(bytes(raw[0:2]) + bytes(raw[54:62]) + sk,
                                   digest_size=32).digest()
    Path(out).write_text(lines[0] + "\n" + base64.b64encode(bytes(raw)).decode() + "\n")
    return "%016X" % keyid


def sign(path, key, comment, legacy=False, out=None):
    """Signs path with a stock minisign key; the signature file is
    path.KEYID.minisig unless out names another."""
    kid = keyid_of_key(key)
    out = out or f"{path}.{kid}.minisig"
    cmd = ["minisign", "-S", "-s", str(key), "-m", str(path), "-x", str(out), "-t", comment]
    if legacy:
        cmd.append("-l")
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return Path(out)


# ---- statements ----

def label(stmt, name):
    m = re.search(rf"^{re.escape(name)}: ([^\r\n]*)", stmt, re.M)
    return m.group(1) if m else None


def set_label(stmt, name, value):
    new, n = re.subn(rf"^{re.escape(name)}: .*$", f"{name}: {value}", stmt, count=1, flags=re.M)
    assert n == 1, f"no {name} line"
    return new


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def sha512(data):
    return hashlib.sha512(data).hexdigest()


def read(path):
    return Path(path).read_bytes()


def stmt_of(bdir):
    return (Path(bdir) / "bundle.stmt").read_text(encoding="utf-8")


def resign(bdir, stmt, signers, keep=False, when=None):
    """Writes stmt as bdir/bundle.stmt and signs it with each (key, role);
    the old signatures are removed unless keep."""
    bdir = Path(bdir)
    if not keep:
        for f in bdir.glob("bundle.stmt.*.minisig"):
            f.unlink()
    path = bdir / "bundle.stmt"
    path.write_bytes(stmt.encode("utf-8") if isinstance(stmt, str) else stmt)
    text = path.read_bytes().decode("utf-8", "replace")
    bid = label(text, "id") or "x"
    created = when or label(text, "created") or "2026-01-01T00:00:00Z"
    for key, role in signers:
        sign(path, key, f"xjtrust/1 bundle {bid} {role} {created}")


# ---- bags and payloads ----

def bag_files(bag):
    """The bag's files as {path: bytes}."""
    bag = Path(bag)
    out = {}
    for root, _, names in os.walk(bag):
        for n in names:
            full = Path(root) / n
            out[str(full.relative_to(bag))] = full.read_bytes()
    return out


def rebag(files, stmt):
    """Makes manifest-sha512.txt, the Payload-Oxum, tagmanifest-sha512.txt
    and the statement's bag lines agree with files; returns the statement."""
    payload = sorted((p for p in files if p.startswith("data/")), key=lambda p: p.encode())
    octets = sum(len(files[p]) for p in payload)
    files["bag-info.txt"] = re.sub(rb"Payload-Oxum: [0-9.]*",
                                   f"Payload-Oxum: {octets}.{len(payload)}".encode(),
                                   files["bag-info.txt"])
    files["manifest-sha512.txt"] = "".join(
        f"{sha512(files[p])}  {p}\n" for p in payload).encode()
    files["tagmanifest-sha512.txt"] = "".join(
        f"{sha512(files[p])}  {p}\n"
        for p in ("bag-info.txt", "bagit.txt", "manifest-sha512.txt")).encode()
    stmt = set_label(stmt, "bag-tagmanifest-sha512", sha512(files["tagmanifest-sha512.txt"]))
    return set_label(stmt, "bag-oxum", f"{octets}.{len(payload)}")


def tar_entry(name, data=b"", kind=tarfile.REGTYPE, link="", size=None, src=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = MTIME
    info.mode = 0o644
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data) if size is None else size
        return info, (src if src is not None else io.BytesIO(data))
    return info, None


def sorted_entries(bid, files):
    return [tar_entry(f"{bid}/{p}", files[p]) for p in sorted(files, key=lambda p: p.encode())]


def write_tar(sink, entries, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(fileobj=sink, mode="w|", format=fmt) as tar:
        for info, src in entries:
            if isinstance(src, io.BytesIO):
                src.seek(0)
            tar.addfile(info, src)


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    write_tar(buf, entries, fmt)
    return buf.getvalue()


def encrypt(recipients, write, zstd_args=("-3",), out=None):
    """Runs write(sink) into stock zstd and stock age to recipients; returns
    the age file's bytes (or writes them to out and returns out)."""
    rs = [a for r in recipients for a in ("-r", r)]
    target = open(out, "wb") if out else subprocess.PIPE
    age = subprocess.Popen(["age", *rs], stdin=subprocess.PIPE,
                           stdout=target if out else subprocess.PIPE)
    zstd = subprocess.Popen(["zstd", "-q", *zstd_args, "-c"], stdin=subprocess.PIPE,
                            stdout=age.stdin)
    age.stdin.close()
    if out:
        write(zstd.stdin)
        zstd.stdin.close()
        ok = zstd.wait() == 0 and age.wait() == 0
        target.close()
        assert ok, "zstd or age failed"
        return out
    import threading
    result = {}
    reader = threading.Thread(target=lambda: result.setdefault("d", age.stdout.read()))
    reader.start()
    write(zstd.stdin)
    zstd.stdin.close()
    assert zstd.wait() == 0, "zstd failed"
    reader.join()
    assert age.wait() == 0, "age failed"
    return result["d"]


def age_encrypt_raw(recipients, plain):
    """age-encrypts bytes as they are (no zstd)."""
    rs = [a for r in recipients for a in ("-r", r)]
    return subprocess.run(["age", *rs], input=plain, stdout=subprocess.PIPE, check=True).stdout


def zstd_bytes(data, *args):
    return subprocess.run(["zstd", "-q", *args, "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def volumes_of(bdir):
    """The payload's volumes, in order, as (path, bytes)."""
    bdir = Path(bdir)
    single = bdir / "payload.tar.zst.age"
    if single.exists():
        return [(single, single.read_bytes())]
    return [(p, p.read_bytes()) for p in sorted(bdir.glob("payload.tar.zst.age.[0-9][0-9][0-9]"))]


def set_volume_lines(stmt, vols):
    lines = [l for l in stmt.splitlines(True) if not l.startswith("volume: ")]
    at = next(i for i, l in enumerate(lines) if l.startswith("records: "))
    new = [f"volume: {i + 1:03d} {len(v)} {sha512(v)}\n" for i, v in enumerate(vols)]
    return "".join(lines[:at] + new + lines[at:])


def write_volumes(bdir, vols):
    """Replaces the bundle's payload files by vols (one: unnumbered)."""
    bdir = Path(bdir)
    for p in bdir.glob("payload.tar.zst.age*"):
        p.unlink()
    if len(vols) == 1:
        (bdir / "payload.tar.zst.age").write_bytes(vols[0])
    else:
        for i, v in enumerate(vols):
            (bdir / f"payload.tar.zst.age.{i + 1:03d}").write_bytes(v)


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def age_layout(data):
    """(header end, payload start after the nonce, chunk boundaries)."""
    h = data.index(b"\n--- ") + 1
    h = data.index(b"\n", h) + 1
    start = h + 16
    bounds = []
    b = start + CHUNK
    while b < len(data):
        bounds.append(b)
        b += CHUNK
    return h, start, bounds


def flip(data, at):
    b = bytearray(data)
    b[at] ^= 1
    return bytes(b)


def b64_change(data, at):
    """Another base64 character at `at` (a flip that keeps the text valid
    base64, so that what is tested does not depend on the random bytes)."""
    b = bytearray(data)
    b[at] = ord("A") if b[at] != ord("A") else ord("B")
    return bytes(b)


def copytree(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    return Path(dst)
