// Package cardstest decodes the QR codes the cards package renders, the way
// a phone would: from pixels, with an independent reader (gozxing).
package cardstest

import (
	"fmt"
	"image"
	"image/color"
	"regexp"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decoded is what a reader found in a QR code.
type Decoded struct {
	Text  string
	Level string // error correction level: L, M, Q or H
}

// DecodeImage reads one QR code from an image.
func DecodeImage(img image.Image) (Decoded, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return Decoded{}, fmt.Errorf("cardstest: bitmap: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		// gozxing's finder-pattern search misses about 1 valid symbol in
		// 400 (zbar reads those fine); an image that is only the symbol and
		// its quiet zone can be read as a pure barcode instead.
		pure, perr := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if perr != nil {
			return Decoded{}, fmt.Errorf("cardstest: decode: %w (as a pure barcode: %v)", err, perr)
		}
		res = pure
	}
	d := Decoded{Text: res.GetText()}
	if l, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; ok {
		d.Level = fmt.Sprint(l)
	}
	return d, nil
}

var (
	viewBoxRe = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	runRe     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	pathRe    = regexp.MustCompile(`<path[^>]* d="([^"]*)"`)
)

// RasterizeSVG draws an SVG made by cards.QR.SVG at scale pixels per
// module. It understands only that SVG's shape (a white square and one
// path of one-module-high rectangles) and fails on anything else.
func RasterizeSVG(svg string, scale int) (image.Image, error) {
	vb := viewBoxRe.FindStringSubmatch(svg)
	if vb == nil {
		return nil, fmt.Errorf("cardstest: no viewBox in %.80q", svg)
	}
	w, _ := strconv.Atoi(vb[1])
	h, _ := strconv.Atoi(vb[2])
	pm := pathRe.FindStringSubmatch(svg)
	if pm == nil {
		return nil, fmt.Errorf("cardstest: no path")
	}
	img := image.NewGray(image.Rect(0, 0, w*scale, h*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	runs := runRe.FindAllStringSubmatch(pm[1], -1)
	if len(runs) == 0 {
		return nil, fmt.Errorf("cardstest: empty path")
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		n, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+n)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img, nil
}

// DecodeSVG rasterises an SVG made by cards.QR.SVG and reads it.
func DecodeSVG(svg string) (Decoded, error) {
	img, err := RasterizeSVG(svg, 4)
	if err != nil {
		return Decoded{}, err
	}
	return DecodeImage(img)
}

// DecodeRendered reads a screenshot of exactly one rendered symbol (the
// svg element, quiet zone included) of modules × modules. It first searches
// the picture as a phone would; if gozxing's search misses (about 1 valid
// symbol in 400), it samples the centre of every module — checking that
// the browser painted each one right — and reads that grid.
func DecodeRendered(img image.Image, modules int) (Decoded, error) {
	d, err := DecodeImage(img)
	if err == nil {
		return d, nil
	}
	b := img.Bounds()
	const scale = 4
	grid := image.NewGray(image.Rect(0, 0, modules*scale, modules*scale))
	for my := range modules {
		for mx := range modules {
			px := b.Min.X + (2*mx+1)*b.Dx()/(2*modules)
			py := b.Min.Y + (2*my+1)*b.Dy()/(2*modules)
			r, g, bl, _ := img.At(px, py).RGBA()
			v := uint8(255)
			if (r+g+bl)/3 < 0x8000 {
				v = 0
			}
			for y := my * scale; y < (my+1)*scale; y++ {
				for x := mx * scale; x < (mx+1)*scale; x++ {
					grid.SetGray(x, y, color.Gray{Y: v})
				}
			}
		}
	}
	if d, gerr := DecodeImage(grid); gerr == nil {
		return d, nil
	}
	return Decoded{}, err
}

// Modules returns the side of the symbol an SVG made by cards.QR.SVG
// draws, in modules (quiet zone included).
func Modules(svg string) (int, error) {
	vb := viewBoxRe.FindStringSubmatch(svg)
	if vb == nil {
		return 0, fmt.Errorf("cardstest: no viewBox in %.80q", svg)
	}
	return strconv.Atoi(vb[1])
}
