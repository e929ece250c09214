/// A small DEFLATE decoder (RFC 1951, with the gzip and zlib wrappers of RFC 1952 and RFC 1950), for one purpose:
/// to look inside compressed data that someone tries to pass off as text, so the text guard can find an image in it.
///
/// It never throws and never allocates more than `limit` bytes of output: on damaged input it returns what it
/// decoded before the damage, which is all the guard needs (a signature sits near the start of a file).
///
/// ```swift
/// let bytes = Inflate.gzip(payload[...], limit: 65_536)   // nil when it is not gzip
/// ```
enum Inflate {
    /// Unwraps a gzip member starting at the first byte.
    static func gzip(_ data: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        var i = data.startIndex
        guard data.count >= 18, data[i] == 0x1F, data[i + 1] == 0x8B, data[i + 2] == 8 else { return nil }
        let flags = data[i + 3]
        i += 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard i + 2 <= data.endIndex else { return nil }
            i += 2 + (Int(data[i]) | Int(data[i + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while i < data.endIndex, data[i] != 0 { i += 1 }
            i += 1
        }
        if flags & 0x02 != 0 { i += 2 }  // FHCRC
        guard i < data.endIndex else { return nil }
        return raw(data[i...], limit: limit)
    }

    /// Unwraps a zlib stream starting at the first byte.
    static func zlib(_ data: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        let i = data.startIndex
        guard data.count >= 6 else { return nil }
        let cmf = data[i], flg = data[i + 1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (Int(cmf) << 8 | Int(flg)) % 31 == 0, flg & 0x20 == 0 else { return nil }
        return raw(data[(i + 2)...], limit: limit)
    }

    /// Decodes raw DEFLATE data; nil when not even one byte came out.
    static func raw(_ data: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        var state = State(input: data, limit: limit)
        state.run()
        return state.output.isEmpty ? nil : state.output
    }

    private struct Huffman {
        var count = [Int](repeating: 0, count: 16)
        var symbol: [Int]

        /// Builds a canonical code from code lengths; nil when over-subscribed.
        init?(lengths: ArraySlice<Int>) {
            symbol = [Int](repeating: 0, count: lengths.count)
            for length in lengths { count[length] += 1 }
            var left = 1
            for length in 1..<16 {
                left <<= 1
                left -= count[length]
                if left < 0 { return nil }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + count[length] }
            for (n, length) in lengths.enumerated() where length != 0 {
                symbol[offsets[length]] = n
                offsets[length] += 1
            }
        }
    }

    private struct State {
        let input: ArraySlice<UInt8>
        let limit: Int
        var position: Int
        var bitBuffer = 0
        var bitCount = 0
        var output: [UInt8] = []
        var failed = false

        init(input: ArraySlice<UInt8>, limit: Int) {
            self.input = input
            self.limit = limit
            position = input.startIndex
        }

        mutating func bits(_ need: Int) -> Int {
            while bitCount < need {
                guard position < input.endIndex else { failed = true; return 0 }
                bitBuffer |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << need) - 1)
            bitBuffer >>= need
            bitCount -= need
            return value
        }

        mutating func decode(_ h: Huffman) -> Int? {
            var code = 0, first = 0, index = 0
            for length in 1..<16 {
                code |= bits(1)
                if failed { return nil }
                let count = h.count[length]
                if code - count < first { return h.symbol[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            return nil
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                   4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
        static let fixed: (Huffman, Huffman) = {
            var lengths = [Int](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            return (Huffman(lengths: lengths[...])!, Huffman(lengths: [Int](repeating: 5, count: 30)[...])!)
        }()
        static let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

        mutating func run() {
            var last = 0
            while last == 0, !failed, output.count < limit {
                last = bits(1)
                switch bits(2) {
                case 0: stored()
                case 1: codes(Self.fixed.0, Self.fixed.1)
                case 2: dynamic()
                default: failed = true
                }
            }
        }

        mutating func stored() {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.endIndex else { failed = true; return }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == ~complement & 0xFFFF else { failed = true; return }
            let truncated = input.endIndex - position < length
            let end = min(position + length, input.endIndex)
            output.append(contentsOf: input[position..<min(end, position + max(0, limit - output.count))])
            position = end
            if truncated { failed = true }
        }

        mutating func dynamic() {
            let literalCount = bits(5) + 257, distanceCount = bits(5) + 1, codeCount = bits(4) + 4
            guard !failed, literalCount <= 286, distanceCount <= 30 else { failed = true; return }
            var lengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeCount { lengths[Self.order[i]] = bits(3) }
            guard !failed, let lengthCode = Huffman(lengths: lengths[...]) else { failed = true; return }
            var all: [Int] = []
            all.reserveCapacity(literalCount + distanceCount)
            while all.count < literalCount + distanceCount {
                guard let symbol = decode(lengthCode) else { failed = true; return }
                if symbol < 16 { all.append(symbol); continue }
                var value = 0, repeatCount: Int
                switch symbol {
                case 16:
                    guard let previous = all.last else { failed = true; return }
                    value = previous
                    repeatCount = 3 + bits(2)
                case 17: repeatCount = 3 + bits(3)
                default: repeatCount = 11 + bits(7)
                }
                guard !failed, all.count + repeatCount <= literalCount + distanceCount else { failed = true; return }
                all.append(contentsOf: repeatElement(value, count: repeatCount))
            }
            guard all[256] != 0, let literals = Huffman(lengths: all[0..<literalCount]),
                  let distances = Huffman(lengths: all[literalCount...]) else { failed = true; return }
            codes(literals, distances)
        }

        mutating func codes(_ literals: Huffman, _ distances: Huffman) {
            while output.count < limit {
                guard let symbol = decode(literals) else { failed = true; return }
                if symbol < 256 { output.append(UInt8(symbol)); continue }
                if symbol == 256 { return }
                let index = symbol - 257
                guard index < 29 else { failed = true; return }
                let length = Self.lengthBase[index] + bits(Self.lengthExtra[index])
                guard let d = decode(distances), d < 30 else { failed = true; return }
                let distance = Self.distanceBase[d] + bits(Self.distanceExtra[d])
                guard !failed, distance <= output.count else { failed = true; return }
                for _ in 0..<min(length, limit - output.count) { output.append(output[output.count - distance]) }
            }
        }
    }
}
