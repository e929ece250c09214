#!/usr/bin/env python3
"""Regenerates qr-fixtures.json (beside this script) from segno (the reference encoder).

Usage (from the package root):
    python3 -m venv venv && venv/bin/pip install segno
    venv/bin/python Tests/SafeguardCoreTests/Fixtures/qr/make_fixtures.py

The Swift tests only read the JSON; they never run Python.
"""
import json
import os

import segno
import segno.encoder

# segno 1.6.x bug (heuer/segno#123, #148, both open): write_padding_bits()
# appends 8 zero bits when the stream *already* ends on a codeword boundary,
# i.e. an extra 0x00 data codeword before the 0xEC/0x11 pad codewords. In byte
# mode that happens for every payload that leaves room for the full 4-bit
# terminator. ISO/IEC 18004 §7.4.10 adds padding bits only when the stream
# does not end on a boundary, which is what the Swift encoder does, so patch
# in the fix proposed in #148 before generating the reference symbols.
def _write_padding_bits(buff, version, length):
    if version not in (segno.consts.VERSION_M1, segno.consts.VERSION_M3):
        buff.extend([0] * (-length % 8))


segno.encoder.write_padding_bits = _write_padding_bits

OTPAUTH = ("otpauth://totp/Safeguard:supervisor%40england-police.demo.safeguard.invalid"
           "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Safeguard&algorithm=SHA1&digits=6&period=30")


def filler(n, seed):
    """Deterministic printable ASCII payload of exactly n bytes."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%"
    return "".join(alphabet[(i * 7 + seed * 13 + (i * i) % 11) % len(alphabet)] for i in range(n))


def payloads():
    yield "hello", b"hello"
    yield "60-byte string", ("The quick brown fox jumps over the lazy dog, 0123456789 ABCD")[:60].encode()
    yield "otpauth URI", OTPAUTH.encode()
    yield "utf-8 text", "Zwei-Faktor für Jürgen – ✓ 日本".encode("utf-8")
    yield "binary 0x00-0xFF", bytes(range(0, 256, 3))[:80]
    yield "empty", b""
    # Largest payload for each version 1..10 at level M in byte mode, and
    # one byte more than the previous version's maximum.
    maxima = [14, 26, 42, 62, 84, 106, 122, 152, 180, 213]
    for v, n in enumerate(maxima, start=1):
        yield f"v{v} max ({n} bytes)", filler(n, v).encode()
        if v > 1:
            lo = maxima[v - 2] + 1
            yield f"v{v} min ({lo} bytes)", filler(lo, v + 20).encode()


def matrix_rows(qr):
    return ["".join("1" if m else "0" for m in row) for row in qr.matrix]


_recorded_penalties = []
_evaluate_mask = segno.encoder.evaluate_mask


def _recording_evaluate_mask(matrix, width, height):
    score = _evaluate_mask(matrix, width, height)
    _recorded_penalties.append(score)
    return score


# Record segno's penalty score (N1+N2+N3+N4) for each of the 8 masks, in order.
segno.encoder.evaluate_mask = _recording_evaluate_mask


def entry(name, data, mask=None):
    _recorded_penalties.clear()
    qr = segno.make_qr(data, error="m", mode="byte", boost_error=False, mask=mask)
    penalties = list(_recorded_penalties) if mask is None else None
    assert penalties is None or len(penalties) == 8, penalties
    assert qr.error == "M" and qr.mode == "byte", (qr.error, qr.mode)
    return {
        "name": name,
        "payloadHex": data.hex(),
        "explicitMask": mask,
        "version": qr.version,
        "mask": qr.mask,
        "penalties": penalties,
        "matrix": matrix_rows(qr),
    }


def cross_check(fixtures):
    """Optional second reference: python-qrcode (pip install qrcode), given
    the same version and mask, must produce identical matrices."""
    try:
        import qrcode
        from qrcode.util import QRData, MODE_8BIT_BYTE
    except ImportError:
        print("python-qrcode not installed; skipping cross-check")
        return
    for fx in fixtures:
        q = qrcode.QRCode(version=fx["version"], error_correction=qrcode.constants.ERROR_CORRECT_M,
                          border=0, mask_pattern=fx["mask"])
        q.add_data(QRData(bytes.fromhex(fx["payloadHex"]), mode=MODE_8BIT_BYTE), optimize=0)
        q.make(fit=False)
        rows = ["".join("1" if m else "0" for m in row) for row in q.get_matrix()]
        assert rows == fx["matrix"], f'python-qrcode disagrees on {fx["name"]}'
    print(f"python-qrcode agrees on all {len(fixtures)} matrices")


def main():
    fixtures = []
    for name, data in payloads():
        fixtures.append(entry(name, data))
    # Every mask explicitly, for the otpauth URI (v9), "hello" (v1) and a v7 payload.
    for name, data in [("otpauth URI", OTPAUTH.encode()), ("hello", b"hello"),
                       ("v7 max (122 bytes)", filler(122, 7).encode())]:
        for mask in range(8):
            fixtures.append(entry(f"{name} mask {mask}", data, mask))
    cross_check(fixtures)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qr-fixtures.json")
    with open(out, "w") as f:
        json.dump({"generator": f"segno {segno.__version__} + padding fix (heuer/segno#148)", "fixtures": fixtures}, f, indent=1)
        f.write("\n")
    for fx in fixtures:
        print(f'{fx["name"]:<28} v{fx["version"]:<3} mask {fx["mask"]} {fx["penalties"] or ""}')


if __name__ == "__main__":
    main()
