package origin

import (
	"encoding/binary"
	"image"
	"io"
	"math/bits"
)

// bitWriter writes the least significant bits first, as VP8L reads them.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.buf
}

// writeFlat8 writes a "normal" prefix code in which the first 256 symbols of
// an alphabet of size n all have length 8 (so symbol s is coded as s, eight
// bits, most significant first) and the others length 0. The code-length
// code itself has two symbols of length 1: 0 and 8.
func writeFlat8(w *bitWriter, n int) {
	w.write(0, 1) // normal code
	// Code-length code lengths in the order 17,18,0,1,2,3,4,5,16,6,7,8:
	// twelve of them (4 + 8).
	w.write(8, 4)
	order := []int{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8}
	for _, sym := range order {
		if sym == 0 || sym == 8 {
			w.write(1, 3)
		} else {
			w.write(0, 3)
		}
	}
	w.write(0, 1) // max_symbol = alphabet size
	// Canonical codes of the code-length code: symbol 0 -> "0", 8 -> "1".
	for i := range n {
		if i < 256 {
			w.write(1, 1)
		} else {
			w.write(0, 1)
		}
	}
}

// writeSingle writes a "simple" prefix code with one 8-bit symbol: reading
// it consumes no bits.
func writeSingle(w *bitWriter, sym byte) {
	w.write(1, 1) // simple
	w.write(0, 1) // one symbol
	w.write(1, 1) // eight-bit symbol
	w.write(uint64(sym), 8)
}

// EncodeWebP writes img as a lossless WebP (VP8L) file: no transforms, no
// colour cache, no backward references, every channel coded with eight
// bits. It is not small, but every decoder reads it. Alpha is dropped.
func EncodeWebP(out io.Writer, img image.Image) error {
	b := img.Bounds()
	wd, ht := b.Dx(), b.Dy()
	w := &bitWriter{}
	w.write(0x2f, 8)
	w.write(uint64(wd-1), 14)
	w.write(uint64(ht-1), 14)
	w.write(0, 1)         // alpha not used
	w.write(0, 3)         // version 0
	w.write(0, 1)         // no transform
	w.write(0, 1)         // no colour cache
	w.write(0, 1)         // no meta prefix codes
	writeFlat8(w, 256+24) // green + length prefixes
	writeFlat8(w, 256)    // red
	writeFlat8(w, 256)    // blue
	writeSingle(w, 0xff)  // alpha
	// Distance: one symbol (0), never used.
	w.write(1, 1)
	w.write(0, 1)
	w.write(0, 1)
	w.write(0, 1)
	rev := func(c uint32) uint64 { return uint64(bits.Reverse8(uint8(c >> 8))) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			w.write(rev(g), 8)
			w.write(rev(r), 8)
			w.write(rev(bl), 8)
		}
	}
	data := w.bytes()
	pad := len(data) & 1
	hdr := make([]byte, 20)
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(4+8+len(data)+pad))
	copy(hdr[8:], "WEBPVP8L")
	binary.LittleEndian.PutUint32(hdr[16:], uint32(len(data)))
	if _, err := out.Write(hdr); err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		return err
	}
	if pad == 1 {
		_, err := out.Write([]byte{0})
		return err
	}
	return nil
}
