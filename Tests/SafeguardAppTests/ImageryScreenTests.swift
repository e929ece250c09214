import Foundation
import Testing
@testable import SafeguardApp

@Suite struct ImageryScreenTests {
    @Test func cleanTextPasses() {
        for text in ["A was sent a photo on Snapchat by B", "facade decade beef cafe 1234", "GIF of a cat? no, words only",
                     "BM was mentioned", "RIFF off", "ftyp"] {
            #expect(ImageryScreen.scanText(text) == nil, "false positive on \(text)")
        }
    }

    @Test func jpegHeaderInBase64IsFound() {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0]
        #expect(ImageryScreen.scanText(Data(jpeg).base64EncodedString()) == "jpeg")
    }
}
