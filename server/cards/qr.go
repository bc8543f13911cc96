package cards

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Level is the error correction of printed codes: skip2's High is level Q
// (25% recovery), enough for a bent or smudged card at a modest size.
const Level = qrcode.High

// URL is what a card's QR code encodes: the public base URL + /c/ + code.
func URL(publicURL, code string) string {
	return strings.TrimRight(publicURL, "/") + "/c/" + code
}

// ShortAddress is the address typed out on a card: the public URL without
// its scheme ("gehoord.nl/c/7K2M9QXA").
func ShortAddress(publicURL, code string) string {
	u := URL(publicURL, code)
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	return u
}

// QR is an encoded symbol, quiet zone included.
type QR struct {
	// Bitmap is [y][x], true for a dark module; it includes the 4-module
	// quiet zone a scanner needs.
	Bitmap [][]bool
}

// Encode makes the QR symbol for content at level Q.
func Encode(content string) (*QR, error) {
	q, err := qrcode.New(content, Level)
	if err != nil {
		return nil, fmt.Errorf("cards: encode QR: %w", err)
	}
	return &QR{Bitmap: q.Bitmap()}, nil
}

// Size is the width (and height) in modules, quiet zone included.
func (q *QR) Size() int { return len(q.Bitmap) }

// SVG renders the symbol as a small SVG: a white square with one black
// path, each row's dark runs as rectangles, one unit per module. It scales
// to any print size without blur; crispEdges keeps modules square on screen.
// The output contains only numbers and fixed markup, so it is safe to embed.
func (q *QR) SVG(label string) string {
	n := q.Size()
	var p strings.Builder
	for y, row := range q.Bitmap {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			fmt.Fprintf(&p, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, svgEscape(label), n, n, p.String())
}

func svgEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// Image renders the symbol with scale pixels per module, no smoothing.
func (q *QR) Image(scale int) *image.Paletted {
	if scale < 1 {
		scale = 1
	}
	n := q.Size()
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
	for y, row := range q.Bitmap {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetColorIndex(x*scale+dx, y*scale+dy, 1)
				}
			}
		}
	}
	return img
}

// PNG renders the symbol as a 1-bit PNG whose side is at least minPx
// pixels, with a whole number of pixels per module so edges stay sharp
// (e.g. 600 px gives a 25 mm code at 600 dpi).
func (q *QR) PNG(minPx int) ([]byte, error) {
	scale := (minPx + q.Size() - 1) / q.Size()
	var buf bytes.Buffer
	if err := png.Encode(&buf, q.Image(scale)); err != nil {
		return nil, fmt.Errorf("cards: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}
