"""File operations on one directory, printing what they give; run natively on a plain directory
and under Kernite on an encrypted mount, the two outputs must be equal."""
import mmap
import os
import sys

d = sys.argv[1]
p = os.path.join(d, "a.bin")


def show(*args):
    print(*args, flush=True)


with open(p, "wb") as f:
    f.write(b"0123456789" * 1000)
show("size after write", os.stat(p).st_size)

fd = os.open(p, os.O_RDWR)
os.pwrite(fd, b"XYZ", 5000)
os.pwrite(fd, b"far", 70000)           # past the end: a hole of zeros
show("size after pwrite past end", os.fstat(fd).st_size)
show("pread middle", os.pread(fd, 8, 4998))
show("pread hole", os.pread(fd, 4, 20000))
show("pread at end", os.pread(fd, 10, 69998))
show("pread past end", os.pread(fd, 10, 80000))
os.ftruncate(fd, 6000)
show("size after ftruncate", os.fstat(fd).st_size, os.pread(fd, 6, 4998))
os.ftruncate(fd, 9000)
show("grown by ftruncate", os.fstat(fd).st_size, os.pread(fd, 4, 6000))
os.lseek(fd, 0, os.SEEK_END)
os.write(fd, b"end")
show("seek end + write", os.fstat(fd).st_size, os.lseek(fd, 0, os.SEEK_CUR))
os.close(fd)

with open(p, "ab") as f:
    f.write(b"appended")
show("after append", os.stat(p).st_size, open(p, "rb").read()[-11:])

with open(p, "r+b") as f:
    f.seek(3)
    f.write(b"---")
    f.seek(0)
    show("r+ rewrite", f.read(10))

with open(p, "wb") as f:
    f.write(b"short")
show("O_TRUNC", os.stat(p).st_size, open(p, "rb").read())

big = bytes(range(256)) * 4096            # 1 MiB, many nodes
with open(os.path.join(d, "big"), "wb") as f:
    for i in range(4):
        f.write(big)
with open(os.path.join(d, "big"), "rb") as f:
    f.seek(3 * len(big) + 777)
    show("big seek+read", f.read(5).hex(), os.fstat(f.fileno()).st_size)

os.rename(p, os.path.join(d, "b.bin"))
show("after rename", sorted(os.listdir(d)), open(os.path.join(d, "b.bin"), "rb").read())
open(os.path.join(d, "c.bin"), "wb").write(b"to be replaced")
os.rename(os.path.join(d, "b.bin"), os.path.join(d, "c.bin"))
show("rename over", sorted(os.listdir(d)), open(os.path.join(d, "c.bin"), "rb").read())

os.mkdir(os.path.join(d, "sub"))
open(os.path.join(d, "sub", "inner"), "w").write("inner text")
show("listing", sorted(os.listdir(d)), sorted(os.listdir(os.path.join(d, "sub"))))
show("walk", sorted((r[len(d):], sorted(fs)) for r, _, fs in os.walk(d)))

keep = open(os.path.join(d, "c.bin"), "rb")
os.unlink(os.path.join(d, "c.bin"))
show("read after unlink", keep.read(), os.path.exists(os.path.join(d, "c.bin")))
keep.close()
open(os.path.join(d, "c.bin"), "wb").write(b"new c")
show("made again", open(os.path.join(d, "c.bin"), "rb").read())

with open(os.path.join(d, "big"), "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    show("mmap read", len(m), m[5:9].hex(), m[len(big) * 2 + 1000:len(big) * 2 + 1004].hex())
    m.close()
    m = mmap.mmap(f.fileno(), 8192, access=mmap.ACCESS_COPY)
    m[0:4] = b"priv"
    show("mmap private write", m[0:6], f.read(6).hex())
    m.close()

os.truncate(os.path.join(d, "big"), 10)
show("truncate by path", os.stat(os.path.join(d, "big")).st_size)
os.unlink(os.path.join(d, "big"))
os.unlink(os.path.join(d, "sub", "inner"))
os.rmdir(os.path.join(d, "sub"))
show("final listing", sorted(os.listdir(d)))
