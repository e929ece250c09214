/// The opening bytes ("magic numbers") of the image and video formats Safeguard refuses, found at any offset.
///
/// A signature is enough however short the payload is, so the guard looks for one anywhere in whatever bytes it can
/// decode from a piece of text, not only at the start: a file can sit behind padding or after other bytes.
///
/// ```swift
/// ImageSignatures.format(in: [0x00, 0xFF, 0xD8, 0xFF, 0xE0])   // "JPEG"
/// ```
public enum ImageSignatures {
    /// Every format the guard names, in the words a refusal uses.
    public static let formats = ["JPEG", "PNG", "GIF", "WebP", "BMP", "TIFF", "HEIC/HEIF", "AVIF", "JPEG 2000", "JPEG XL",
                                 "Photoshop", "MP4", "QuickTime", "3GP", "AVI", "WebM/Matroska", "FLV", "MPEG video",
                                 "Windows Media"]

    /// The first format whose signature appears in `bytes`; nil when none does.
    public static func format<C: RandomAccessCollection>(in bytes: C) -> String? where C.Element == UInt8, C.Index == Int {
        guard bytes.count >= 3 else { return nil }
        var i = bytes.startIndex
        let end = bytes.endIndex
        func at(_ offset: Int) -> UInt8 { i + offset < end ? bytes[i + offset] : 0xFF }
        func matches(_ signature: [UInt8], from offset: Int = 0) -> Bool {
            guard i + offset + signature.count <= end else { return false }
            for (k, byte) in signature.enumerated() where bytes[i + offset + k] != byte { return false }
            return true
        }
        while i + 3 <= end {
            switch bytes[i] {
            case 0xFF:
                // JPEG: start of image and the next marker's FF. Three bytes, but 0xFF never occurs in UTF-8 text
                // nor in base64 of words, so real wording does not produce it.
                if matches([0xFF, 0xD8, 0xFF]) { return "JPEG" }
            case 0x89: if matches([0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
            case 0x47: if matches(Signature.gif87a) || matches(Signature.gif89a) { return "GIF" }
            case 0x4A:
                // The JFIF and Exif headers that follow a JPEG's first bytes: a file split just after FF D8 FF.
                if matches(Signature.jfif) { return "JPEG" }
            case 0x45: if matches(Signature.exif) { return "JPEG" }
            case 0x52:
                if matches(Signature.riff) {
                    if matches(Signature.webp, from: 8) { return "WebP" }
                    if matches(Signature.avi, from: 8) { return "AVI" }
                }
            case 0x57: if matches(Signature.webpVP8) { return "WebP" }
            case 0x42:
                // BMP: "BM", a 4-byte size, then 4 reserved zero bytes.
                if at(1) == 0x4D, matches([0, 0, 0, 0], from: 6) { return "BMP" }
            case 0x49: if matches([0x49, 0x49, 0x2A, 0x00]) || matches([0x49, 0x49, 0x2B, 0x00]) { return "TIFF" }
            case 0x4D: if matches([0x4D, 0x4D, 0x00, 0x2A]) || matches([0x4D, 0x4D, 0x00, 0x2B]) { return "TIFF" }
            case 0x38: if matches(Signature.photoshop) { return "Photoshop" }
            case 0x1A: if matches([0x1A, 0x45, 0xDF, 0xA3]) { return "WebM/Matroska" }
            case 0x46: if matches(Signature.flv) { return "FLV" }
            case 0x30: if matches([0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) { return "Windows Media" }
            case 0x66:
                // ISO base media (MP4, MOV, HEIC, AVIF, 3GP, JPEG 2000 and XL): "ftyp" then a brand; the 4-byte box
                // size before it may have been cut off, so the box name alone is the anchor.
                if matches(Signature.ftyp), i + 8 <= end {
                    let brand = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
                    if let format = isoBrands[brand] { return format }
                    if brand.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return "MP4" }
                }
            case 0x6D:
                if matches(Signature.moov) || matches(Signature.mdat), i >= bytes.startIndex + 4,
                   bytes[i - 4] == 0 { return "QuickTime" }
            case 0x00:
                if matches([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return "JPEG 2000" }
                if matches([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return "JPEG XL" }
                if matches([0x00, 0x00, 0x01, 0xBA]) || matches([0x00, 0x00, 0x01, 0xB3]) { return "MPEG video" }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The signatures spelt in letters, made once: made where they are matched, each was an array allocated at every
    /// byte of that letter in everything the guard decodes.
    enum Signature {
        static let gif87a = Array("GIF87a".utf8), gif89a = Array("GIF89a".utf8)
        static let jfif = Array("JFIF".utf8) + [0], exif = Array("Exif".utf8) + [0, 0]
        static let riff = Array("RIFF".utf8), webp = Array("WEBP".utf8), avi = Array("AVI ".utf8), webpVP8 = Array("WEBPVP8".utf8)
        static let photoshop = Array("8BPS".utf8), flv = Array("FLV".utf8) + [0x01]
        static let ftyp = Array("ftyp".utf8), moov = Array("moov".utf8), mdat = Array("mdat".utf8)
    }

    static let isoBrands: [String: String] = [
        "heic": "HEIC/HEIF", "heix": "HEIC/HEIF", "hevc": "HEIC/HEIF", "hevx": "HEIC/HEIF", "heim": "HEIC/HEIF",
        "heis": "HEIC/HEIF", "mif1": "HEIC/HEIF", "msf1": "HEIC/HEIF", "avif": "AVIF", "avis": "AVIF",
        "isom": "MP4", "iso2": "MP4", "iso4": "MP4", "iso5": "MP4", "iso6": "MP4", "mp41": "MP4", "mp42": "MP4",
        "avc1": "MP4", "dash": "MP4", "M4V ": "MP4", "M4A ": "MP4", "f4v ": "MP4", "3gp4": "3GP", "3gp5": "3GP",
        "3g2a": "3GP", "qt  ": "QuickTime", "crx ": "MP4", "jp2 ": "JPEG 2000", "jxl ": "JPEG XL",
    ]
}
