#!/usr/bin/env python3
"""Makes carriers.json: synthetic image and video files (real signatures, made-up bodies) written as text in every
carrier the text guard must see through. Run it to remake the fixture; the Swift tests only read its output.
Independent of the Swift decoders on purpose: the encoders here are Python's own (base64, zlib, gzip, quopri)."""
import base64, gzip, json, quopri, random, struct, urllib.parse, zlib

rng = random.Random(2026)

def body(n):
    # Half noise, half pattern: like real image data, and compressible enough that DEFLATE uses Huffman codes.
    out = bytearray()
    while len(out) < n:
        out += bytes(rng.randrange(256) for _ in range(24)) + b"\x10\x20\x30\x40" * 6
    return bytes(out[:n])

HEADERS = {
    "JPEG": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00\x43\x00",
    "PNG": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00",
    "GIF": b"GIF89a\x40\x01\xf0\x00\xf7\x00\x00",
    "WebP": b"RIFF\x24\x08\x00\x00WEBPVP8 \x18\x08\x00\x00",
    "BMP": b"BM\x36\x10\x0e\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00",
    "TIFF": b"II*\x00\x08\x00\x00\x00\x0e\x00\x00\x01\x03\x00",
    "HEIC/HEIF": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "AVIF": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
    "JPEG 2000": b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 ",
    "JPEG XL": b"\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ",
    "Photoshop": b"8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03",
    "MP4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    "QuickTime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",
    "3GP": b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x02\x00isom",
    "AVI": b"RIFF\x24\x08\x00\x00AVI LIST\x00\x01\x00\x00",
    "WebM/Matroska": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81",
    "FLV": b"FLV\x01\x05\x00\x00\x00\x09",
    "MPEG video": b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01",
    "Windows Media": b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c",
}

Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

def z85(data):
    data = data + b"\x00" * (-len(data) % 4)
    out = []
    for i in range(0, len(data), 4):
        v = struct.unpack(">I", data[i:i + 4])[0]
        chunk = []
        for _ in range(5):
            chunk.append(Z85[v % 85]); v //= 85
        out.append("".join(reversed(chunk)))
    return "".join(out)

def carriers(data):
    b64 = base64.b64encode(data).decode()
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = raw_deflate.compress(data) + raw_deflate.flush()
    return {
        "base64": b64,
        "base64 after 1 character": "A" + b64,
        "base64 after 2 characters": "AA" + b64,
        "base64 after 3 characters": "AAA" + b64,
        "base64 after 4 characters": "AAAA" + b64,
        "base64 of the file after zero bytes": base64.b64encode(b"\x00\x00\x00" + data).decode(),
        "base64 of the file after 1 zero byte": base64.b64encode(b"\x00" + data).decode(),
        "URL-safe base64": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "base64 wrapped at 76 columns": "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)),
        "base64 in groups of four": " ".join(b64[i:i + 4] for i in range(0, len(b64), 4)),
        "data URI": "data:image/png;base64," + b64,
        "hex": data.hex(),
        "hex after 1 character": "a" + data.hex(),
        "hex with spaces": data.hex(" "),
        "hex with colons": data.hex(":").upper(),
        "hex list 0x": ", ".join("0x%02x" % b for b in data),
        "hex escapes": "".join("\\x%02x" % b for b in data),
        "percent-encoding": urllib.parse.quote_from_bytes(data),
        "percent-encoding of every byte": "".join("%%%02X" % b for b in data),
        "quoted-printable": quopri.encodestring(data).decode("ascii"),
        "base32": base64.b32encode(data).decode(),
        "base32 after 3 characters": "ABC" + base64.b32encode(data).decode(),
        "Ascii85": base64.a85encode(data, adobe=True).decode(),
        "Ascii85 after 2 characters": "!!" + base64.a85encode(data).decode(),
        "base85 (RFC 1924)": base64.b85encode(data).decode(),
        "Z85": z85(data),
        "decimal byte list": ", ".join(str(b) for b in data),
        "decimal byte list in brackets": "[" + ",".join(str(b) for b in data) + "]",
        "gzip in base64": base64.b64encode(gzip.compress(data, mtime=0)).decode(),
        "zlib in base64": base64.b64encode(zlib.compress(data, 9)).decode(),
        "raw deflate in base64": base64.b64encode(deflated).decode(),
        "zlib in base64 after 2 characters": "QQ" + base64.b64encode(zlib.compress(data, 9)).decode(),
        "gzip in hex": gzip.compress(data, mtime=0).hex(),
        "base64 of base64": base64.b64encode(b64.encode()).decode(),
        "percent-encoded base64": urllib.parse.quote(b64, safe=""),
    }

fixture = {"headers": {}, "files": {}}
for name, header in HEADERS.items():
    # A header alone (too short for the shape rule: only decoding finds it) and a whole file of about 1 KB.
    fixture["headers"][name] = carriers(header)
    fixture["files"][name] = carriers(header + body(1024))
# The 37 KB JPEG of the report, for the reassembly tests, as base64 of the whole file.
jpeg = HEADERS["JPEG"] + body(37 * 1024) + b"\xff\xd9"
fixture["jpeg37k"] = base64.b64encode(jpeg).decode()
json.dump(fixture, open("carriers.json", "w"), indent=0, sort_keys=True)
print("carriers.json:", sum(len(v) for v in fixture["headers"].values()), "header carriers,",
      sum(len(v) for v in fixture["files"].values()), "file carriers")
