#!/usr/bin/env python3
"""Write the seed corpora of the fuzz harnesses: tests/fuzz/corpus/NAME/,
a few small inputs each, in the input format the harness's comment gives
(valid structures, so that the fuzzer starts past the first checks).
Run it after changing a format; it rewrites the seed files it knows."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def write(name, seed, data):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), 'wb') as f:
        f.write(data)


# ---- insn: mode byte (mode | RAM and XMM callbacks 8 | length << 4), code, gpa,
# rflags, rip, 16 GPRs, then callback bytes.
def insn(name, mode, hexcode, rcx=3):
    code = bytes.fromhex(hexcode)
    regs = [0x1000 * (i + 1) for i in range(16)]
    regs[1] = rcx
    tail = u64(0xfee000b0) + u64(0x202) + u64(0x100000) + b''.join(u64(r) for r in regs)
    tail += (u8(0) + u64(0x11223344)) * 8
    write('insn', name, u8(mode | 8 | len(code) << 4) + code + tail)


M16, M32, M64 = 0, 1, 2
insn('mov_store64', M64, 'a3 b0 00 e0 fe 00 00 00 00')
insn('mov_load_disp', M64, '8b 4f 20')
insn('movl_imm', M64, 'c7 80 00 03 00 00 01 00 00 00')
insn('movzx', M64, '0f b6 06')
insn('rex_sib', M64, '4e 89 7c 75 80')
insn('rip_rel', M64, '8b 05 10 00 00 00')
insn('or_imm', M64, '81 8b f0 00 00 00 00 01 00 00')
insn('xchg', M64, '87 07')
insn('rep_stos', M64, 'f3 ab')
insn('rep_movs', M64, 'f3 a5')
insn('bts_imm', M64, '0f ba 28 05')
insn('lock_add', M64, 'f0 01 07')
insn('mov32', M32, '8b 03')
insn('mov16_seg', M16, '26 8b 07')
insn('lods', M64, 'f3 ad')
insn('inc', M64, 'ff 00')
insn('neg8', M64, 'f6 18')
insn('lock_cmpxchg', M64, 'f0 0f b1 0a')
insn('xadd', M64, '0f c1 07')
insn('push', M64, 'ff 30')
insn('pop32', M32, '8f 03')
insn('movd_load', M64, '66 0f 6e 08')
insn('movss_store', M64, 'f3 44 0f 11 08')

# ---- gwalk: CR0 CR3 CR4 EFER RFLAGS PDPTE[4] flags maxphyaddr gla access
# len, then guest RAM (mirrored every 64 KiB).
PG, PE, WP = 1 << 31, 1, 1 << 16
PAE, PSE = 1 << 5, 1 << 4
LME, LMA, NXE = 1 << 8, 1 << 10, 1 << 11


def ram_with(entries, size=0x6000):
    ram = bytearray(size)
    for at, val, width in entries:
        ram[at:at + width] = val.to_bytes(width, 'little')
    return bytes(ram)


def gwalk(name, cr0, cr3, cr4, efer, gla, access, length, ram, pdpte=(0, 0, 0, 0), flags=2):
    data = u64(cr0) + u64(cr3) + u64(cr4) + u64(efer) + u64(0x202)
    data += b''.join(u64(p) for p in pdpte)
    data += u8(flags) + u8(39 - 32) + u64(gla) + u8(access) + u16(length)
    write('gwalk', name, data + ram.rstrip(b'\0'))   # RAM past the input is zero


gwalk('paging_off', PE, 0, 0, 0, 0x1234, 0, 16, bytes(0x2000))
four = ram_with([(0x1000, 0x2007, 8), (0x2000, 0x3007, 8), (0x3000, 0x4007, 8),
                 (0x4008, 0x5067, 8), (0x3008, 0x2000e7, 8)])
gwalk('4level_4k', PE | PG | WP, 0x1000, PAE, LME | LMA | NXE, 0x1234, 2, 0x20, four)
gwalk('4level_2m', PE | PG | WP, 0x1000, PAE, LME | LMA, 0x200010, 4, 0x1100, four)
gwalk('4level_user_fault', PE | PG | WP, 0x1000, PAE | (1 << 20), LME | LMA, 0x1ff8, 0x14, 0x10, four)
thirty2 = ram_with([(0x1000, 0x2007, 4), (0x2004, 0x3007, 4), (0x1004, 0x4000e7, 4)])
gwalk('32bit_4k', PE | PG, 0x1000, PSE, 0, 0x1ffc, 2, 8, thirty2)
gwalk('32bit_4m', PE | PG, 0x1000, PSE, 0, 0x400123, 0, 8, thirty2)
pae = ram_with([(0x2000, 0x3007, 8), (0x3008, 0x5007, 8), (0x1000, 0x2001, 8)])
gwalk('pae_regs', PE | PG, 0x1000, PAE, 0, 0x1008, 2, 4, pae, pdpte=(0x2001, 0, 0, 0), flags=3)
gwalk('pae_memory', PE | PG, 0x1000, PAE, 0, 0x1008, 0, 4, pae)
five = ram_with([(0x1000, 0x2007, 8), (0x2000, 0x3007, 8), (0x3000, 0x4007, 8),
                 (0x4000, 0x5007, 8), (0x5000, 0x6007, 8)], size=0x7000)
gwalk('5level', PE | PG, 0x1000, PAE | (1 << 12), LME | LMA, 0x10, 0, 8, five)
gwalk('noncanonical', PE | PG, 0x1000, PAE, LME | LMA, 0x0000800000000000, 0, 8, four)


# ---- loader_mb1: RAM/flags byte, cmdline length, cmdline, ELF image.
def mb1_elf(is64=False, flags=3, bss=0x1000):
    mb = u32(0x1BADB002) + u32(flags) + u32(-(0x1BADB002 + flags))
    text = mb + bytes((i * 7 + 1) & 0xff for i in range(0x100 - len(mb)))
    if is64:
        ehdr = b'\x7fELF' + bytes([2, 1, 1]) + bytes(9)
        ehdr += u16(2) + u16(62) + u32(1) + u64(0x100010) + u64(64) + u64(0)
        ehdr += u32(0) + u16(64) + u16(56) + u16(2) + u16(0) + u16(0) + u16(0)
        ph = lambda off, fs, pa, ms: (u32(1) + u32(5) + u64(off) + u64(pa) + u64(pa) +
                                      u64(fs) + u64(ms) + u64(0x1000))
    else:
        ehdr = b'\x7fELF' + bytes([1, 1, 1]) + bytes(9)
        ehdr += u16(2) + u16(3) + u32(1) + u32(0x100010) + u32(52) + u32(0)
        ehdr += u32(0) + u16(52) + u16(32) + u16(2) + u16(0) + u16(0) + u16(0)
        ph = lambda off, fs, pa, ms: (u32(1) + u32(off) + u32(pa) + u32(pa) + u32(fs) +
                                      u32(ms) + u32(5) + u32(0x1000))
    img = bytearray(0x280)
    hdrs = ehdr + ph(0x100, 0x100, 0x100000, 0x100) + ph(0x200, 0x80, 0x101000, bss)
    img[:len(hdrs)] = hdrs
    img[0x100:0x200] = text[:0x100]
    img[0x200:0x280] = bytes(range(0x80))
    return bytes(img)


cmd = b'console=ttyS0 quiet'
write('loader_mb1', 'elf32', u8(0x23) + u8(len(cmd)) + cmd + mb1_elf())
write('loader_mb1', 'elf64', u8(0x40) + u8(0) + mb1_elf(is64=True))
write('loader_mb1', 'bss_big', u8(0x03) + u8(len(cmd)) + cmd + mb1_elf(bss=0x200000))
# The a.out kludge: flags bit 16 with the load addresses in the header.
kludge = bytearray(mb1_elf(flags=0x10003))
hdr = u32(0x1BADB002) + u32(0x10003) + u32(-(0x1BADB002 + 0x10003))
hdr += u32(0x100100) + u32(0x100000) + u32(0x100200) + u32(0x102000) + u32(0x100110)
kludge[0x100:0x100 + len(hdr)] = hdr
write('loader_mb1', 'aout_kludge', u8(0x21) + u8(4) + b'abcd' + bytes(kludge))


# ---- loader_linux: RAM byte, flags, e820, rsdp, cmdline, initrd, bzImage.
def bzimage(pref=0x1000000, init_size=0x800000, align=0x200000, version=0x020f, sects=4):
    setup_len = (sects + 1) * 512
    b = bytearray(setup_len + 0x3000)
    b[0x1f1] = sects
    b[0x1fe:0x200] = u16(0xaa55)
    b[0x200] = 0xeb
    b[0x201] = 0x26c - 0x202
    b[0x202:0x206] = b'HdrS'
    b[0x206:0x208] = u16(version)
    b[0x211] = 1
    b[0x214:0x218] = u32(0x100000)
    b[0x22c:0x230] = u32(0x7fffffff)
    b[0x230:0x234] = u32(align)
    b[0x234] = 1
    b[0x235] = 21
    b[0x236:0x238] = u16(0x1b)
    b[0x238:0x23c] = u32(2047)
    b[0x258:0x260] = u64(pref)
    b[0x260:0x264] = u32(init_size)
    for i in range(0x3000):
        b[setup_len + i] = (i * 7 + 3) & 0xff
    return bytes(b)


def linux(name, ram_sel, flags, e820=(), rsdp=0, cmdline=b'', initrd=b'', image=None):
    data = u8(ram_sel) + u8(flags | len(e820))
    for addr, size, typ in e820:
        data += u32(addr) + u32(size) + u8(typ)
    if flags & 8:
        data += u32(rsdp)
    data += u16(len(cmdline)) + cmdline + u16(len(initrd)) + initrd
    write('loader_linux', name, data + (image or bzimage()))


linux('default', 0x1f, 0x10, cmdline=b'console=ttyS0 earlyprintk=serial')
linux('small_initrd', 0x06, 0x38, rsdp=0xe0000, cmdline=b'quiet',
      initrd=bytes(range(256)) * 4, image=bzimage(pref=0x200000, init_size=0x100000))
linux('e820', 0x3f, 0x10, e820=((0, 0x9fc00, 1), (0x100000, 0x1f00000, 1), (0xe0000, 0x20000, 2)),
      cmdline=b'x', image=bzimage(pref=0x400000, init_size=0x400000))
linux('old_protocol', 0x1f, 0, image=bzimage(version=0x020a))


# ---- multiboot2: the information structure (total_size is overwritten).
def tag(typ, payload):
    t = u32(typ) + u32(8 + len(payload)) + payload
    return t + bytes(-len(t) % 8)


def mbi(tags):
    body = b''.join(tags) + tag(0, b'')
    return u32(8 + len(body)) + u32(0) + body


rsdp1 = b'RSD PTR ' + u8(0) + b'TINYHV' + u8(0) + u32(0xe1000)
rsdp2 = b'RSD PTR ' + u8(0) + b'TINYHV' + u8(2) + u32(0xe1000) + u32(36) + u64(0xe2000) + bytes(4)
mmap = u32(24) + u32(0) + b''.join(u64(a) + u64(l) + u32(t) + u32(0) for a, l, t in
                                   ((0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0x100000, 0x7ee0000, 1),
                                    (0x7fe0000, 0x20000, 3)))
write('multiboot2', 'full', mbi([
    tag(1, b'console=com1 loglevel=debug\0'), tag(2, b'GRUB 2.06\0'),
    tag(3, u32(0x200000) + u32(0x300000) + b'linux console=ttyS0\0'),
    tag(3, u32(0x300000) + u32(0x380000) + b'initrd\0'),
    tag(4, u32(639) + u32(129920)), tag(6, mmap), tag(14, rsdp1), tag(15, rsdp2)]))
write('multiboot2', 'efi', mbi([tag(12, u64(0x7f000000)), tag(15, rsdp2), tag(1, b'\0')]))
write('multiboot2', 'minimal', mbi([]))


# ---- acpi: selector 0 + AML, or RSDP copy (length = selector % 41) +
# physical memory from 0.
def sdt(sig, body, rev=1):
    t = bytearray(sig + u32(36 + len(body)) + u8(rev) + u8(0) + b'TINYHV' + b'TINYHVTB' +
                  u32(1) + b'TNHV' + u32(1) + body)
    t[9] = -sum(t) & 0xff
    return bytes(t)


s5 = b'\x08_S5_\x12\x06\x04\x0a\x05\x0a\x05\x00\x00'   # Name(_S5, Package(4){5, 5, 0, 0})
write('acpi', 'aml_s5', u8(0) + b'\x10\x0a\\_SB_' + s5)
write('acpi', 'aml_s5_root', u8(0) + b'\x08\\_S5_\x12\x08\x04\x0b\x07\x00\x0a\x07\x00\x00')

dsdt = sdt(b'DSDT', s5, rev=2)
FADT_LEN = 276
fadt = bytearray(FADT_LEN - 36)
def put(buf, off, data): buf[off - 36:off - 36 + len(data)] = data
put(fadt, 40, u32(0x1000))          # DSDT (32-bit)
put(fadt, 48, u32(0xb2))            # SMI_CMD
put(fadt, 52, u8(0xf0))             # ACPI_ENABLE
put(fadt, 64, u32(0x604))           # PM1a_CNT_BLK
put(fadt, 112, u32(1 << 10))        # flags: RESET_REG_SUP
put(fadt, 116, u8(1) + u8(8) + u8(0) + u8(1) + u64(0xcf9))   # RESET_REG
put(fadt, 128, u8(6))               # RESET_VALUE
put(fadt, 140, u64(0x1000))         # X_DSDT
fadt = sdt(b'FACP', bytes(fadt), rev=6)
mem = bytearray(0x3000)
xsdt = sdt(b'XSDT', u64(0x2000))
rsdt = sdt(b'RSDT', u32(0x2000))
mem[0x100:0x100 + len(xsdt)] = xsdt
mem[0x200:0x200 + len(rsdt)] = rsdt
mem[0x1000:0x1000 + len(dsdt)] = dsdt
mem[0x2000:0x2000 + len(fadt)] = fadt
def rsdp(rev, rsdt_at, xsdt_at):
    r = bytearray(b'RSD PTR ' + u8(0) + b'TINYHV' + u8(rev) + u32(rsdt_at))
    r[8] = -sum(r) & 0xff
    if rev >= 2:
        r += u32(36) + u64(xsdt_at) + bytes(4)
        r[32] = -sum(r) & 0xff
    return bytes(r)
write('acpi', 'xsdt', u8(36) + rsdp(2, 0x200, 0x100) + bytes(mem))
write('acpi', 'rsdt', u8(20) + rsdp(0, 0x200, 0) + bytes(mem))


# ---- device models: op streams (tests/fuzz/fuzz_dev.h).
SZ = {1: 0, 2: 1, 4: 2, 8: 3}
def rd(h, off, size=1): return u8(0 | SZ[size] << 3) + u8(h) + u16(off)
def wr(h, off, val, size=1): return u8(1 | SZ[size] << 3) + u8(h) + u16(off) + val.to_bytes(size, 'little')
def tick(ns, shift=0): return u8(2 | shift << 3) + u32(ns)
def ev(*b): return u8(3) + bytes(b)

# vuart: one range, COM1 0x3f8-0x3ff.
write('vuart', 'init', wr(0, 3, 0x80) + wr(0, 0, 1) + wr(0, 1, 0) + wr(0, 3, 3) + wr(0, 2, 0xc7) +
      wr(0, 4, 0x0b) + wr(0, 1, 0x0f) + rd(0, 2) + wr(0, 0, 0x41) + rd(0, 5) + rd(0, 2))
write('vuart', 'receive', wr(0, 1, 1) + ev(0x61) + ev(0x62) + rd(0, 2) + rd(0, 5) + rd(0, 0) +
      rd(0, 0) + rd(0, 5) + wr(0, 4, 0x10) + wr(0, 0, 0x55) + rd(0, 0))

# vpic: ranges 0x20, 0xa0, 0x4d0 (in attach order).
icw = (wr(0, 0, 0x11) + wr(0, 1, 0x20) + wr(0, 1, 4) + wr(0, 1, 1) +
       wr(1, 0, 0x11) + wr(1, 1, 0x28) + wr(1, 1, 2) + wr(1, 1, 1) + wr(0, 1, 0) + wr(1, 1, 0))
write('vpic', 'init', icw + ev(0x41) + ev(0x80) + wr(0, 0, 0x20) + ev(0x4a) + ev(0x80) +
      wr(1, 0, 0x20) + wr(0, 0, 0x20) + wr(0, 0, 0x0b) + rd(0, 0) + wr(0, 0, 0x0a) + rd(0, 0))
write('vpic', 'elcr_level', icw + wr(2, 0, 0x20) + wr(2, 1, 0x0e) + ev(0x45) + ev(0x80) + ev(0x80) +
      ev(0x05) + rd(2, 0) + rd(2, 1) + wr(0, 1, 0xff) + rd(0, 1) + wr(0, 0, 0x0c) + rd(0, 0))

# vpit: ranges 0x40-0x43 and 0x61.
write('vpit', 'rate', wr(0, 3, 0x34) + wr(0, 0, 0x9c) + wr(0, 0, 0x2e) + tick(1000000) +
      tick(1000000) + wr(0, 3, 0x00) + rd(0, 0) + rd(0, 0) + tick(50000000))
write('vpit', 'speaker', wr(1, 0, 0x01) + wr(0, 3, 0xb6) + wr(0, 2, 0x00) + wr(0, 2, 0x10) +
      rd(1, 0) + tick(100000) + rd(1, 0) + wr(0, 3, 0xe2) + rd(0, 2) + wr(0, 3, 0x30) +
      wr(0, 0, 0x10) + tick(1 << 20, 4) + wr(0, 0, 0x00) + tick(1 << 20, 4))

# vhpet: one range, 0xfed00000-0xfed003ff.
write('vhpet', 'periodic', wr(0, 0x100, 0x4c | 2 << 9, 8) + wr(0, 0x108, 1000, 8) +
      wr(0, 0x108, 1000, 8) + wr(0, 0x10, 1, 8) + tick(20000) + rd(0, 0xf0, 8) + tick(30000) +
      rd(0, 0x108, 8) + wr(0, 0x10, 3, 8) + tick(1 << 20, 4))
write('vhpet', 'level32', wr(0, 0x140, 0x106 | 20 << 9, 4) + wr(0, 0x148, 0x10, 4) +
      wr(0, 0xf0, 0xfffffff0, 8) + wr(0, 0x10, 1, 4) + tick(1000) + rd(0, 0x20, 4) +
      wr(0, 0x20, 4, 4) + rd(0, 0x20, 8) + tick(1 << 30, 8))

# vlapic: config byte, then ops; one range, the xAPIC page.
write('vlapic', 'timer', u8(0x3c) + wr(0, 0xf0, 0x1ff, 4) + wr(0, 0x3e0, 0xb, 4) +
      wr(0, 0x320, 0x20030, 4) + wr(0, 0x380, 100000, 4) + tick(1000000) + rd(0, 0x390, 4) +
      ev(6) + wr(0, 0xb0, 0, 4) + wr(0, 0x80, 0x20, 4) + rd(0, 0xa0, 4))
write('vlapic', 'x2apic', u8(0x0c) + ev(2) + u64(0xfee00c00) + ev(1, 0x0f) + u64(0x1ff) +
      ev(1, 0x32) + u64(0x40031) + ev(3) + u64(1000000) + tick(1 << 20, 4) + ev(5, 0x41) +
      ev(6) + ev(1, 0x0b) + u64(0) + ev(1, 0x30) + u64(0x000c4500) + ev(0, 0x02))
write('vlapic', 'ipi', u8(0x7c) + wr(0, 0xf0, 0x100, 4) + wr(0, 0x310, 0x01000000, 4) +
      wr(0, 0x300, 0x4031, 4) + wr(0, 0x300, 0xc4500, 4) + ev(4, 3) + ev(5 | 0x80, 0x80) + ev(6) +
      wr(0, 0xb0, 0, 4) + wr(0, 0x350, 0x700, 4) + ev(7))

# vioapic: one range, the MMIO page: IOREGSEL at 0, IOWIN at 0x10, EOI 0x40.
write('vioapic', 'route', wr(0, 0, 0x10, 4) + wr(0, 0x10, 0xa030, 4) + wr(0, 0, 0x11, 4) +
      wr(0, 0x10, 0, 4) + ev(0x40) + ev(0x80, 0x30) + ev(0x00) + ev(0x80, 0x30) +
      wr(0, 0, 1, 4) + rd(0, 0x10, 4) + wr(0, 0x40, 0x30, 4) + wr(0, 0, 0x10, 4) + rd(0, 0x10, 4))
write('vioapic', 'ids', wr(0, 0, 0, 4) + wr(0, 0x10, 0x0f000000, 4) + rd(0, 0x10, 4) + wr(0, 0, 2, 4) +
      rd(0, 0x10, 4) + wr(0, 0, 0x2f, 4) + wr(0, 0x10, 0x30, 4) + rd(0, 0x10, 8) + ev(0x57))

# vrtc: epoch, RAM size, then ops; one range, 0x70-0x71.
write('vrtc', 'read_time', u64(1700000000) + u64(256 << 20) + b''.join(
    wr(0, 0, r) + rd(0, 1) for r in (0, 2, 4, 6, 7, 8, 9, 0x32, 0x0a, 0x0b, 0x0c, 0x0d, 0x15, 0x34)) +
    tick(999000000) + wr(0, 0, 0x0a) + rd(0, 1) + tick(2000000) + wr(0, 0, 0x0c) + rd(0, 1))
write('vrtc', 'set_time', u64(0) + u64(5 << 30) + wr(0, 0, 0x0b) + wr(0, 1, 0x86) + wr(0, 0, 0) +
      wr(0, 1, 59) + wr(0, 0, 4) + wr(0, 1, 23) + wr(0, 0, 9) + wr(0, 1, 99) + wr(0, 0, 0x32) +
      wr(0, 1, 20) + wr(0, 0, 0x0b) + wr(0, 1, 0x12) + tick(1 << 30, 1) + ev() + wr(0, 0, 0x0c) + rd(0, 1))

# vpci: reset-control byte, then ops; ranges 0xcf8-0xcfb and 0xcfc-0xcff
# (0xcf9 bytes: the reset control register).
def cfg(reg): return 0x80000000 | reg
write('vpci', 'bridge', u8(1) + wr(0, 0, cfg(0), 4) + rd(1, 0, 4) + wr(0, 0, cfg(8), 4) + rd(1, 0, 4) +
      rd(1, 2, 2) + rd(1, 3, 1) + wr(0, 0, cfg(4), 4) + wr(1, 0, 0x7, 2) + rd(1, 0, 4) +
      wr(0, 0, cfg(0x800), 4) + rd(1, 0, 4) + rd(0, 1) + wr(0, 1, 0x02) + wr(0, 1, 0x06) + rd(0, 1))
write('vpci', 'no_reset', u8(0) + wr(0, 1, 0x0e) + rd(0, 1) + rd(0, 0, 4) + wr(0, 0, 0x12345678, 4) +
      rd(0, 0, 2) + wr(0, 0, cfg(0xfc), 4) + rd(1, 3, 1))

# vpm: S5 type, then ops; ranges in attach order (PM1 event, control,
# timer).  Its reset register (0xcf9) is reached through vpci.
write('vpm', 'poweroff', u8(5) + rd(0, 0, 2) + wr(0, 2, 0x100, 2) + rd(2, 0, 4) + tick(1000000) +
      rd(2, 0, 4) + rd(1, 0, 2) + wr(1, 0, 0x3400 | 1, 2) + wr(0, 0, 0xffff, 2))
write('vpm', 'sleep', u8(5) + wr(1, 0, 0x2000 | (5 << 10), 2) + wr(0, 2, 0x21, 2) + rd(0, 0, 4) +
      tick(1 << 30, 10) + rd(2, 0, 4) + rd(2, 1, 1))

# vkbc: ranges 0x60 and 0x64 (attach order).
write('vkbc', 'commands', wr(1, 0, 0x20) + rd(1, 0) + rd(0, 0) + wr(1, 0, 0x60) + wr(0, 0, 0x47) +
      wr(1, 0, 0xaa) + rd(0, 0) + wr(1, 0, 0xd1) + wr(0, 0, 0xdf) + wr(1, 0, 0xd0) + rd(0, 0))
write('vkbc', 'keyboard', wr(0, 0, 0xff) + rd(0, 0) + rd(0, 0) + wr(0, 0, 0xf2) + rd(0, 0) + rd(0, 0) +
      wr(0, 0, 0xed) + wr(0, 0, 0x02) + rd(1, 0) + wr(1, 0, 0xfe))

# ---- platform: the whole PC platform, op streams (tests/fuzz/fuzz_platform.c).
def p_in(port, size=1): return u8({1: 0, 2: 8, 4: 16}[size]) + u16(port)
def p_out(port, v, size=1): return u8(1 | {1: 0, 2: 8, 4: 16}[size]) + u16(port) + u32(v)
def p_mrd(lapic, off): return u8(2 | 16) + u8(lapic) + u16(off)
def p_mwr(lapic, off, v): return u8(3 | 16) + u8(lapic) + u16(off) + u32(v)
def p_msr_wr(cpu, sel, v): return u8(5) + u8(cpu) + u16(sel) + u64(v)
def p_msr_rd(cpu, sel): return u8(4) + u8(cpu) + u16(sel)
def p_time(ticks, shift=0): return u8(6 | shift << 3) + u32(ticks)
def p_intr(cpu): return u8(7) + u8(cpu)
X2 = 0  # msr_of selector 0x0000-0x3fff: 0x800 + low byte


# The PIC initialised as Linux does, the PIT's channel 0 periodic, time.
pic = b''.join(p_out(a, v) for a, v in ((0x20, 0x11), (0x21, 0x30), (0x21, 4), (0x21, 1),
                                         (0xa0, 0x11), (0xa1, 0x38), (0xa1, 2), (0xa1, 1),
                                         (0x21, 0xfe), (0xa1, 0xff)))
pit = p_out(0x43, 0x34) + p_out(0x40, 0x9c) + p_out(0x40, 0x2e)
write('platform', 'pic_pit', pic + pit + p_time(100000, 4) + p_intr(0) + p_out(0x20, 0x20) +
      p_time(100000, 4) + p_intr(0) + p_in(0x40) + p_in(0x61) + p_in(0x70) + p_out(0x70, 0x0a) + p_in(0x71))
# x2APIC on both vCPUs, the local APIC timer, an IPI from one to the other.
apic = b''
for cpu in (0, 1):
    apic += p_msr_wr(cpu, 1 << 14, 0xfee00000 | (1 << 11) | (1 << 10) | ((cpu == 0) << 8))
    apic += p_msr_wr(cpu, 0x0f, 0x1ff)                     # SVR
write('platform', 'x2apic_ipi', apic + p_msr_wr(0, 0x3e, 0xb) + p_msr_wr(0, 0x32, 0x40) +
      p_msr_wr(0, 0x38, 50000) + p_time(60000) + p_intr(0) + p_msr_wr(0, 0x0b, 0) +
      p_msr_wr(1, 0x30, (0 << 32) | 0x41) + p_intr(0) + p_msr_wr(0, 0x30, (1 << 32) | 0x42) +
      p_intr(1) + p_msr_rd(1, 0x02) + p_msr_wr(0, 2 << 14, 0x5000))
# The I/O APIC: a redirection entry for the PIT's pin 2 to vCPU 1, time.
io = p_mwr(0, 0, 0x10 + 2 * 2) + p_mwr(0, 0x10, 0x30) + p_mwr(0, 0, 0x11 + 2 * 2) + p_mwr(0, 0x10, 1 << 24)
write('platform', 'ioapic_pit', apic + io + pit + p_time(100000, 4) + p_intr(1) + p_msr_wr(1, 0x0b, 0) +
      p_mrd(0, 0x10) + p_mwr(1, 0x80, 0x20) + p_mrd(1, 0x80) + p_mwr(1, 0x300, 0x4500))

# ---- acpi_build: the configuration, base, RAM size, [DSDT].
def acpi_cfg(ncpus, flags=1, oem=b'TINYHV', base=0xe0000, ram=0x110000, dsdt=b''):
    return (u16(ncpus) + u32(0xfee00000) + u32(0xfec00000) + u8(ncpus) + u16(0x600) + u16(0x604) +
            u16(0x608) + u8(9) + u8(flags) + oem + u32(base) + u32(ram) + dsdt)


write('acpi_build', 'one_cpu', acpi_cfg(1))
write('acpi_build', 'eight_cpus', acpi_cfg(8, 3))
write('acpi_build', 'many_cpus', acpi_cfg(200, 1, b'OEMXYZ'))
write('acpi_build', 'own_dsdt', acpi_cfg(2, 5, dsdt=b'DSDT' + bytes(32) + bytes.fromhex('08 5f 53 35 5f 12 06 04 0a 05 0a 05 00 00')))
write('acpi_build', 'low_base', acpi_cfg(4, 1, base=0x1000, ram=0x20000))


# ---- virtq: shape (log2 size | event_idx 8), desc, avail, used (u16 each),
# RAM length (u16) and RAM bytes, the starting index (u16), then operations
# (op byte: 0 pop+copy+push (offsets u16 u16, written u32), 1 push (head u16),
# 2 should_interrupt, 3 want_notify).
def virtq_seed(name, indirect):
    size, desc, avail, used = 8, 0x1000, 0x2000, 0x3000
    ram = bytearray(0x4000)
    def put_desc(table, i, addr, length, flags, nxt):
        ram[table + 16 * i: table + 16 * i + 16] = u64(addr) + u32(length) + u16(flags) + u16(nxt)
    if indirect:
        put_desc(0x3800, 0, 0x100, 16, 1, 1)
        put_desc(0x3800, 1, 0x200, 64, 2, 0)
        put_desc(desc, 0, 0x3800, 32, 4, 0)
    else:
        put_desc(desc, 0, 0x100, 16, 1, 1)
        put_desc(desc, 1, 0x200, 512, 3, 2)
        put_desc(desc, 2, 0x400, 1, 2, 0)
    ram[avail + 2: avail + 4] = u16(1)          # one chain: head 0
    ops = u8(0x40) + u16(0) + u16(0) + u32(513) + u8(2) + u8(3) + u8(0)
    write('virtq', name, u8(3 | (8 if indirect else 0)) + u16(desc) + u16(avail) + u16(used) +
          u16(len(ram)) + bytes(ram) + u16(0) + ops)


virtq_seed('chain', False)
virtq_seed('indirect_event_idx', True)


# ---- virtio: the device (u8 % 5: entropy, block, block read-only,
# network, balloon), RAM length (u16, bits 0-13) and RAM, then operations
# (op byte % 8, 7 a host event:
# 0 config write (reg, size code, u32), 1 config read (reg, size code),
# 2/3 BAR 0 write/read (offset u16, size code, u64), 4/5 BAR 1 write/read,
# 6 RAM poke (offset u16, byte)).  The seeds: a driver setting up queue 0
# with EVENT_IDX and MSI-X, one 16-byte buffer (the entropy device) or a
# write of one sector (the block device), a notify.
def virtio_seed(name, block):
    desc, avail, used, buf = 0x1000, 0x2000, 0x3000, 0x3800
    ram = bytearray(0x3fff)
    if block:
        hdr, data, status = 0x3800, 0x3900, 0x3b00
        ram[hdr:hdr + 16] = u32(1) + u32(0) + u64(2)          # VIRTIO_BLK_T_OUT, sector 2
        ram[data:data + 512] = bytes(range(256)) * 2
        ram[desc:desc + 48] = (u64(hdr) + u32(16) + u16(1) + u16(1) +
                               u64(data) + u32(512) + u16(1) + u16(2) +
                               u64(status) + u32(1) + u16(2) + u16(0))
    else:
        ram[desc:desc + 16] = u64(buf) + u32(16) + u16(2) + u16(0)
    ram[avail + 2:avail + 4] = u16(1)
    def bar0(off, size_code, val): return u8(2) + u16(off) + u8(size_code) + u64(val)
    def bar1(off, size_code, val): return u8(4) + u16(off) + u8(size_code) + u64(val)
    ops = b''.join([
        bar0(0x14, 0, 3), bar0(0x08, 2, 0), bar0(0x0c, 2, 1 << 29), bar0(0x08, 2, 1),
        bar0(0x0c, 2, 1), bar0(0x14, 0, 11), bar0(0x16, 1, 0), bar0(0x18, 1, 8),
        bar0(0x20, 3, desc), bar0(0x28, 3, avail), bar0(0x30, 3, used), bar0(0x1a, 1, 1),
        bar1(16, 2, 0xfee00000), bar1(24, 2, 0x41), bar1(28, 2, 0),
        u8(0) + u8(0x74 + 2) + u8(1) + u32(0x8000),
        bar0(0x1c, 1, 1), bar0(0x14, 0, 15), bar0(0x3000, 1, 0), bar0(0x1000, 0, 0),
    ])
    write('virtio', name, u8(1 if block else 0) + u16(len(ram)) + bytes(ram) + ops)


virtio_seed('setup_and_notify', False)
virtio_seed('blk_write', True)


# ---- vmstate: a state stream (include/hv/vmstate.h): header, sections
# (type, instance, length, CRC-32, payload padded to 8), END.
def vms_section(typ, payload):
    pad = b'\0' * (-len(payload) % 8)
    return u32(typ) + u32(0) + u32(len(payload)) + u32(zlib.crc32(payload)) + payload + pad


def vms_stream(sections):
    return b'tinyhvST' + u32(1) + u32(0) + b''.join(sections) + vms_section(0, b'')


def pit_channel(ctrl, mode, flags, count, ticks, delivered):
    return bytes([ctrl, mode, flags, 0, 0, 0, 0, 0]) + u32(count) + u64(ticks) + u64(delivered)


VMS_PIT = 16
write('vmstate', 'pit_periodic', vms_stream([vms_section(VMS_PIT,
    pit_channel(0x34, 2, 0x07, 1193, 3000, 2386) + pit_channel(0, 0, 0x11, 0, 0, 0) +
    pit_channel(0x36, 3, 0x07, 100, 50, 0) + u8(1) + u64(0))]))
write('vmstate', 'empty', vms_stream([]))
VMS_PIC, VMS_UART = 17, 18
pic_chip = lambda base, lowest: bytes([0x08, 0, 0, 0, 0, base, 4, lowest, 0, 0x01])
write('vmstate', 'pic_uart', vms_stream([
    vms_section(VMS_PIC, pic_chip(0x30, 7) + pic_chip(0x38, 7)),
    vms_section(VMS_UART, bytes([1, 3, 0x0b, 0x5a, 12, 0, 0xc1, 1, 16, 2]) + b'hi')]))
VMS_RTC, VMS_IOAPIC = 19, 20
cmos = bytearray(128)
cmos[0x0a], cmos[0x0b], cmos[0x0d] = 0x26, 0x22, 0x80
write('vmstate', 'rtc_ioapic', vms_stream([
    vms_section(VMS_RTC, u8(0x0c) + bytes(cmos) + u64(1795610096) + u64(500000000) + u64(0) +
                u64(1500000000) + u8(0) + u8(0)),
    vms_section(VMS_IOAPIC, u32(0x10) + u8(0) + u8(0) + u32(1 << 9) +
                b''.join(u64(0x8049 if i == 9 else 0x10000) for i in range(24)))]))
VMS_LAPIC = 21
lapic_regs = [0] * 64
lapic_regs[0x0e], lapic_regs[0x0f], lapic_regs[0x32], lapic_regs[0x38] = 0xffffffff, 0x1ff, 0x200ec, 3000
lapic_regs[0x35], lapic_regs[0x36], lapic_regs[0x37], lapic_regs[0x3e] = 0x10000, 0x10000, 0x10000, 0xb
lapic_regs[0x22] = 1 << 1       # vector 0x41 requested
write('vmstate', 'lapic', vms_stream([
    vms_section(VMS_LAPIC, u64(0xfee00000 | 0x900) + u32(0) + u8(0) + u64(50000) + u64(0) +
                b''.join(u32(r) for r in lapic_regs))]))
