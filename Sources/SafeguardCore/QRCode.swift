// A small, dependency-free QR code encoder (ISO/IEC 18004), rendered to SVG.
//
// Scope: byte mode only, error correction level M only, versions 1...10
// (at most 213 bytes), which is ample for an `otpauth://totp/...` URI.

/// A QR code symbol for short binary or text payloads, such as the
/// `otpauth://` URI shown on a two-factor enrolment page.
///
/// The payload is encoded in byte mode with error correction level M, using
/// the smallest version from 1 to 10 that fits. The mask is chosen with the
/// standard penalty rules unless you pass one explicitly.
///
/// ```swift
/// let code = try QRCode(text: "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")
/// let svg = code.svg(title: "Scan this code with your authenticator app")
/// ```
public struct QRCode: Sendable {
    /// The number of modules per side (21 for version 1, 57 for version 10).
    public let size: Int
    /// The modules, indexed `[row][column]`; `true` is dark. No quiet zone.
    public let modules: [[Bool]]
    /// The symbol version, 1...10.
    public let version: Int
    /// The data mask pattern, 0...7.
    public let mask: Int

    /// Encodes `bytes` in byte mode, error correction level M.
    ///
    /// ```swift
    /// let code = try QRCode(bytes: Array("hello".utf8), mask: 3)
    /// ```
    ///
    /// - Parameter mask: a mask pattern 0...7, or nil to pick the one with
    ///   the lowest penalty score (ISO/IEC 18004 §7.8.3).
    /// - Throws: `QRCodeError.tooLong` if the payload exceeds 213 bytes.
    public init(bytes: [UInt8], mask: Int? = nil) throws {
        precondition(mask.map { (0...7).contains($0) } ?? true, "QR mask must be 0...7")
        guard let version = (1...10).first(where: { bytes.count <= QRCode.byteCapacity(version: $0) }) else {
            throw QRCodeError.tooLong(bytes: bytes.count, maximum: QRCode.byteCapacity(version: 10))
        }
        var grid = QRCode.unmaskedGrid(bytes: bytes, version: version)
        let chosenMask: Int
        if let mask {
            chosenMask = mask
        } else {
            // Lowest penalty wins; ties go to the lowest mask number.
            let penalties = QRCode.maskPenalties(grid)
            chosenMask = penalties.indices.min { penalties[$0] < penalties[$1] }!
        }
        grid.applyMask(chosenMask)
        grid.drawFormatAndVersion(mask: chosenMask)

        self.version = version
        self.mask = chosenMask
        self.size = grid.size
        self.modules = grid.modules
    }

    /// Encodes the UTF-8 bytes of `text`.
    ///
    /// ```swift
    /// let code = try QRCode(text: "hello")
    /// print(code.size) // 21
    /// ```
    public init(text: String, mask: Int? = nil) throws {
        try self.init(bytes: Array(text.utf8), mask: mask)
    }

    /// Renders the symbol as a standalone SVG image: one white background
    /// `<rect>` and one `<path>` holding every dark module. It uses only
    /// presentation attributes (no `style`, no scripts), so it is safe to
    /// inline under a strict Content-Security-Policy.
    ///
    /// ```swift
    /// let svg = try QRCode(text: "hello").svg(moduleSize: 5, title: "Enrolment QR code")
    /// ```
    ///
    /// - Parameters:
    ///   - moduleSize: pixels per module (width/height attributes only; the
    ///     viewBox is in modules, so the image scales cleanly).
    ///   - quietZone: light border, in modules (the standard asks for 4).
    ///   - title: accessible name, XML-escaped into `<title>`.
    public func svg(moduleSize: Int = 4, quietZone: Int = 4, title: String) -> String {
        let quiet = max(0, quietZone)
        let total = size + 2 * quiet
        let pixels = total * max(1, moduleSize)
        let escapedTitle = QRCode.escapeXML(title)
        return """
        <svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 \(total) \(total)" \
        width="\(pixels)" height="\(pixels)" shape-rendering="crispEdges">\
        <title>\(escapedTitle)</title>\
        <rect width="\(total)" height="\(total)" fill="#fff"/>\
        <path fill="#000" d="\(pathData(quietZone: quiet))"/>\
        </svg>
        """
    }

    /// The dark modules as SVG path data (one subpath per horizontal run), offset by the quiet zone: for a template
    /// that draws the `<svg>` itself and lets its engine escape every value.
    ///
    /// ```swift
    /// try QRCode(text: "hello").pathData()   // "M4 4h7v1h-7z…"
    /// ```
    public func pathData(quietZone: Int = 4) -> String {
        let quiet = max(0, quietZone)
        var path = ""
        for row in 0..<size {
            var column = 0
            while column < size {
                guard modules[row][column] else { column += 1; continue }
                let start = column
                while column < size && modules[row][column] { column += 1 }
                path += "M\(start + quiet) \(row + quiet)h\(column - start)v1h-\(column - start)z"
            }
        }
        return path
    }

    /// The penalty score (N1 + N2 + N3 + N4) of each mask 0...7 for
    /// `bytes`; exposed so tests can compare the scores with a reference.
    static func maskPenalties(bytes: [UInt8]) throws -> [Int] {
        guard let version = (1...10).first(where: { bytes.count <= byteCapacity(version: $0) }) else {
            throw QRCodeError.tooLong(bytes: bytes.count, maximum: byteCapacity(version: 10))
        }
        return maskPenalties(unmaskedGrid(bytes: bytes, version: version))
    }

    /// Scores each mask with the format and version areas still blank
    /// (light): ISO/IEC 18004:2015 §7.8 evaluates the masked symbol before
    /// the format information, which encodes the chosen mask, is added.
    private static func maskPenalties(_ grid: Grid) -> [Int] {
        (0..<8).map { candidate in
            var trial = grid
            trial.applyMask(candidate)
            return trial.penalty()
        }
    }

    private static func unmaskedGrid(bytes: [UInt8], version: Int) -> Grid {
        var grid = Grid(version: version)
        grid.placeCodewords(finalCodewords(bytes: bytes, version: version))
        return grid
    }

    // MARK: - Data encoding

    /// Error correction level M block structure for versions 1...10
    /// (ISO/IEC 18004 Table 9): EC codewords per block and the data
    /// codeword count of each block.
    private static let blockLayout: [(ecPerBlock: Int, dataBlocks: [Int])] = [
        (10, [16]),                          // v1: 26 codewords
        (16, [28]),                          // v2: 44
        (26, [44]),                          // v3: 70
        (18, [32, 32]),                      // v4: 100
        (24, [43, 43]),                      // v5: 134
        (16, [27, 27, 27, 27]),              // v6: 172
        (18, [31, 31, 31, 31]),              // v7: 196
        (22, [38, 38, 39, 39]),              // v8: 242
        (22, [36, 36, 36, 37, 37]),          // v9: 292
        (26, [43, 43, 43, 43, 44]),          // v10: 346
    ]

    private static func dataCodewordCount(version: Int) -> Int {
        blockLayout[version - 1].dataBlocks.reduce(0, +)
    }

    private static func countBits(version: Int) -> Int { version < 10 ? 8 : 16 }

    static func byteCapacity(version: Int) -> Int {
        (dataCodewordCount(version: version) * 8 - 4 - countBits(version: version)) / 8
    }

    /// Builds the data codewords (mode, count, payload, terminator, padding),
    /// adds Reed–Solomon EC per block and interleaves them (§7.4–7.6).
    private static func finalCodewords(bytes: [UInt8], version: Int) -> [UInt8] {
        let capacityBits = dataCodewordCount(version: version) * 8
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: countBits(version: version))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        bits.append(0, count: min(4, capacityBits - bits.count))   // terminator
        bits.append(0, count: (8 - bits.count % 8) % 8)             // pad to byte
        var data = bits.bytes
        var pad: UInt8 = 0xEC
        while data.count * 8 < capacityBits {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }

        let layout = blockLayout[version - 1]
        let divisor = ReedSolomon.generator(degree: layout.ecPerBlock)
        var dataBlocks: [[UInt8]] = []
        var ecBlocks: [[UInt8]] = []
        var offset = 0
        for length in layout.dataBlocks {
            let block = Array(data[offset..<offset + length])
            offset += length
            dataBlocks.append(block)
            ecBlocks.append(ReedSolomon.remainder(block, divisor: divisor))
        }

        var result: [UInt8] = []
        for blocks in [dataBlocks, ecBlocks] {
            let longest = blocks.map(\.count).max() ?? 0
            for i in 0..<longest {
                for block in blocks where i < block.count { result.append(block[i]) }
            }
        }
        return result
    }

    private static func escapeXML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Drop control characters that are not allowed in XML 1.0.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Errors thrown when building a `QRCode`.
///
/// ```swift
/// do { _ = try QRCode(bytes: Array(repeating: 0, count: 300)) }
/// catch QRCodeError.tooLong(let bytes, let maximum) { print(bytes, maximum) } // 300 213
/// ```
public enum QRCodeError: Error, Equatable {
    /// The payload does not fit in a version 10-M symbol.
    case tooLong(bytes: Int, maximum: Int)
}

// MARK: - Internals

/// A most-significant-bit-first bit stream.
private struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        guard count > 0 else { return }
        for shift in stride(from: count - 1, through: 0, by: -1) {
            bits.append((value >> shift) & 1 == 1)
        }
    }

    /// Packs the bits into bytes; `count` must be a multiple of 8.
    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { ($0 << 1) | ($1 ? 1 : 0) }
        }
    }
}

/// Reed–Solomon error correction over GF(256), primitive polynomial 0x11D.
private enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        // Russian-peasant multiplication, reducing by x^8+x^4+x^3+x^2+1.
        var product = 0
        for i in stride(from: 7, through: 0, by: -1) {
            product = (product << 1) ^ ((product >> 7) * 0x11D)
            product ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(product)
    }

    /// Coefficients of ∏(x − α^i), i in 0..<degree, highest power first,
    /// leading 1 omitted.
    static func generator(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    /// The remainder of data·x^n divided by the generator: the EC codewords.
    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in 0..<divisor.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

/// The module matrix under construction, plus which modules are function
/// patterns (never masked, never holding data).
private struct Grid {
    let version: Int
    let size: Int
    var modules: [[Bool]]
    var isFunction: [[Bool]]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = modules
        drawFunctionPatterns()
    }

    private mutating func set(row: Int, column: Int, _ dark: Bool) {
        modules[row][column] = dark
        isFunction[row][column] = true
    }

    /// Finders, separators, timing, alignment; reserves (light) the format
    /// and version areas and the dark module, which are drawn after masking.
    private mutating func drawFunctionPatterns() {
        for i in 0..<size {
            set(row: 6, column: i, i % 2 == 0)
            set(row: i, column: 6, i % 2 == 0)
        }
        for (row, column) in [(3, 3), (3, size - 4), (size - 4, 3)] {
            // 7×7 finder plus the 1-module light separator around it.
            for dr in -4...4 {
                for dc in -4...4 {
                    let r = row + dr, c = column + dc
                    guard (0..<size).contains(r), (0..<size).contains(c) else { continue }
                    let ring = max(abs(dr), abs(dc))
                    set(row: r, column: c, ring != 2 && ring != 4)
                }
            }
        }
        let centres = Grid.alignmentCentres(version: version)
        let last = centres.count - 1
        for (i, row) in centres.enumerated() {
            for (j, column) in centres.enumerated() {
                // Skip the three corners occupied by finder patterns.
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                for dr in -2...2 {
                    for dc in -2...2 {
                        set(row: row + dr, column: column + dc, max(abs(dr), abs(dc)) != 1)
                    }
                }
            }
        }
        // Reserve format information areas and the dark module.
        for i in 0...8 {
            set(row: 8, column: i, false)
            set(row: i, column: 8, false)
        }
        for i in 0..<8 {
            set(row: 8, column: size - 1 - i, false)
            set(row: size - 1 - i, column: 8, false)
        }
        // Reserve version information areas (v7+).
        if version >= 7 {
            for i in 0..<18 {
                set(row: i / 3, column: size - 11 + i % 3, false)
                set(row: size - 11 + i % 3, column: i / 3, false)
            }
        }
        // Re-draw timing modules overwritten as "reserved" above (row/column 6
        // inside the format areas are timing, not format).
        set(row: 6, column: 8, true)
        set(row: 8, column: 6, true)
    }

    /// Alignment pattern centre coordinates for versions 1...10 (Annex E).
    static func alignmentCentres(version: Int) -> [Int] {
        switch version {
        case 1: return []
        case 2...6: return [6, version * 4 + 10]
        case 7: return [6, 22, 38]
        case 8: return [6, 24, 42]
        case 9: return [6, 26, 46]
        case 10: return [6, 28, 50]
        default: preconditionFailure("unsupported version \(version)")
        }
    }

    /// Places the codeword bits in the two-column zig-zag from the bottom
    /// right, skipping function modules and the vertical timing column.
    /// Remainder bits stay light.
    mutating func placeCodewords(_ codewords: [UInt8]) {
        let totalBits = codewords.count * 8
        var index = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = ((right + 1) & 2) == 0
            for vertical in 0..<size {
                let row = upward ? size - 1 - vertical : vertical
                for column in [right, right - 1] where !isFunction[row][column] && index < totalBits {
                    modules[row][column] = (codewords[index >> 3] >> (7 - UInt8(index & 7))) & 1 == 1
                    index += 1
                }
            }
            right -= 2
        }
        precondition(index == totalBits, "codeword placement mismatch")
    }

    /// Toggles every non-function module where mask condition holds (§7.8.2).
    mutating func applyMask(_ mask: Int) {
        for row in 0..<size {
            for column in 0..<size where !isFunction[row][column] {
                let i = row, j = column
                let flip: Bool
                switch mask {
                case 0: flip = (i + j) % 2 == 0
                case 1: flip = i % 2 == 0
                case 2: flip = j % 3 == 0
                case 3: flip = (i + j) % 3 == 0
                case 4: flip = (i / 2 + j / 3) % 2 == 0
                case 5: flip = (i * j) % 2 + (i * j) % 3 == 0
                case 6: flip = ((i * j) % 2 + (i * j) % 3) % 2 == 0
                default: flip = ((i + j) % 2 + (i * j) % 3) % 2 == 0
                }
                if flip { modules[row][column].toggle() }
            }
        }
    }

    /// Draws both copies of the format information (level M, BCH 0x537,
    /// XOR 0x5412), the dark module, and both copies of the version
    /// information (BCH 0x1F25) for versions 7 and up.
    mutating func drawFormatAndVersion(mask: Int) {
        let data = (0b00 << 3) | mask  // level M = 00
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let format = ((data << 10) | remainder) ^ 0x5412
        func bit(_ value: Int, _ i: Int) -> Bool { (value >> i) & 1 == 1 }

        // First copy, around the top-left finder.
        for i in 0...5 { modules[i][8] = bit(format, i) }
        modules[7][8] = bit(format, 6)
        modules[8][8] = bit(format, 7)
        modules[8][7] = bit(format, 8)
        for i in 9..<15 { modules[8][14 - i] = bit(format, i) }
        // Second copy, split between the other two finders.
        for i in 0..<8 { modules[8][size - 1 - i] = bit(format, i) }
        for i in 8..<15 { modules[size - 15 + i][8] = bit(format, i) }
        modules[size - 8][8] = true  // dark module

        guard version >= 7 else { return }
        var rem = version
        for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
        let info = (version << 12) | rem
        for i in 0..<18 {
            let dark = bit(info, i)
            modules[i / 3][size - 11 + i % 3] = dark   // top right
            modules[size - 11 + i % 3][i / 3] = dark   // bottom left
        }
    }

    /// Penalty score N1 + N2 + N3 + N4 (§7.8.3.1, Table 11).
    func penalty() -> Int {
        var score = 0
        var dark = 0
        for row in 0..<size {
            score += Grid.lineScore(modules[row])
            score += Grid.lineScore((0..<size).map { modules[$0][row] })
            for column in 0..<size {
                if modules[row][column] { dark += 1 }
                // N2: every 2×2 block of one colour scores 3.
                if row > 0 && column > 0 {
                    let c = modules[row][column]
                    if c == modules[row - 1][column] && c == modules[row][column - 1]
                        && c == modules[row - 1][column - 1] {
                        score += 3
                    }
                }
            }
        }
        // N4: 10 points per full 5% step away from 50% dark.
        let total = size * size
        let deviation = abs(dark * 20 - total * 10)   // = |dark/total − 50%| / 5% × total
        score += 10 * (deviation / total)
        return score
    }

    /// N1 (runs of ≥ 5 same-colour modules: 3 + (run − 5)) and N3
    /// (1:1:3:1:1 finder-like pattern with 4 light modules on either side,
    /// the area outside the symbol counting as light: 40 each) for one line.
    private static func lineScore(_ line: [Bool]) -> Int {
        var score = 0
        var runLength = 0
        var previous: Bool? = nil
        for module in line {
            if module == previous {
                runLength += 1
            } else {
                if runLength >= 5 { score += runLength - 2 }
                runLength = 1
                previous = module
            }
        }
        if runLength >= 5 { score += runLength - 2 }

        let n = line.count
        func isLight(_ range: Range<Int>) -> Bool {
            line[max(range.lowerBound, 0)..<min(range.upperBound, n)].allSatisfy { !$0 }
        }
        func matchesPattern(at i: Int) -> Bool {
            line[i] && !line[i + 1] && line[i + 2] && line[i + 3] && line[i + 4] && !line[i + 5] && line[i + 6]
        }
        var start = 0
        while start + 7 <= n {
            guard matchesPattern(at: start) else { start += 1; continue }
            if isLight(start - 4..<start) || isLight(start + 7..<start + 11) {
                score += 40
                start += 7  // matches do not overlap
            } else {
                start += 4  // next possible overlapping occurrence
            }
        }
        return score
    }
}
