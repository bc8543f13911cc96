//go:build ignore

// Command icons draws the outreach app's icons into assets/icons: a plain
// speech bubble on the desk's blue, the same mark as assets/icons/mark.svg
// (neutral: no health imagery). Run from the repository root:
//
//	go run ./pwa/tools/icons
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

var (
	blue  = color.NRGBA{0x2d, 0x4f, 0x8a, 0xff}
	cream = color.NRGBA{0xfb, 0xfa, 0xf7, 0xff}
)

// inRound says whether (x, y) lies in the rounded rectangle.
func inRound(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := min(max(x, x0+r), x1-r)
	cy := min(max(y, y0+r), y1-r)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}

func inTail(x, y float64) bool { // triangle (21,44) (30,44) (21,51)
	return x >= 21 && y >= 44 && (x-21)/9+(y-44)/7 <= 1
}

// draw renders the 64-unit design at size px; maskable fills the whole
// square and shrinks the bubble into the safe zone.
func draw(size int, maskable bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	scale := 64 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var bg, fg int
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					inBg := maskable || inRound(x, y, 0, 0, 64, 64, 14)
					bx, by := x, y
					if maskable {
						bx, by = 32+(x-32)/0.75, 32+(y-32)/0.75
					}
					if inBg {
						bg++
						if inRound(bx, by, 14, 22, 50, 44, 4) || inTail(bx, by) {
							fg++
						}
					}
				}
			}
			n := float64(ss * ss)
			a := float64(bg) / n
			f := float64(fg) / float64(max(bg, 1))
			mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f + 0.5) }
			img.SetNRGBA(px, py, color.NRGBA{mix(blue.R, cream.R), mix(blue.G, cream.G), mix(blue.B, cream.B), uint8(a*255 + 0.5)})
		}
	}
	return img
}

func write(name string, img image.Image) {
	f, err := os.Create(filepath.Join("assets", "icons", name))
	if err != nil {
		log.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	write("app-192.png", draw(192, false))
	write("app-512.png", draw(512, false))
	write("app-maskable-512.png", draw(512, true))
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2d4f8a"/><path d="M18 22h28a4 4 0 0 1 4 4v14a4 4 0 0 1-4 4H30l-9 7v-7h-3a4 4 0 0 1-4-4V26a4 4 0 0 1 4-4z" fill="#fbfaf7"/></svg>` + "\n"
	if err := os.WriteFile(filepath.Join("assets", "icons", "app.svg"), []byte(svg), 0o644); err != nil {
		log.Fatal(err)
	}
}
