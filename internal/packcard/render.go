package packcard

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// Size is a card size in millimetres.
type Size struct {
	Name string
	W, H float64
}

// Sizes are the card sizes offered: a business card and a parcel label.
var Sizes = []Size{{"90x54", 90, 54}, {"100x150", 100, 150}}

// SizeNames lists them for validation.
var SizeNames = []string{"90x54", "100x150"}

func sizeOf(name string) (Size, bool) {
	for _, s := range Sizes {
		if s.Name == name {
			return s, true
		}
	}
	return Size{}, false
}

// A4 and the sheet's layout: cards touch (cut lines are shared) and are centred; crop marks sit
// in the margin around the grid.
const (
	pageW, pageH = 210.0, 297.0
	minMargin    = 5.0
	markLen      = 3.0
	markGap      = 1.0
)

// Grid is how many cards fit on an A4 sheet.
func Grid(s Size) (cols, rows int) {
	cols = int((pageW - 2*minMargin) / s.W)
	rows = int((pageH - 2*minMargin) / s.H)
	return cols, rows
}

// MaxPerPage is the most cards of a size an A4 sheet holds.
func MaxPerPage(s Size) int {
	c, r := Grid(s)
	return c * r
}

// Card is what is printed on each card of a batch.
type Card struct {
	URL      string // the landing URL the QR encodes
	Headline string
	BatchNo  string
	Size     Size
	PerPage  int
	Count    int
}

// Fonts finds a TrueType font fpdf can embed for Chinese text. fpdf reads .ttf only: the
// configured path is used when it is one, else well-known CJK TTFs of Debian packages
// (fonts-droid-fallback, fonts-arphic-gbsn00lp, fonts-wqy-microhei's TTF build); with none,
// cards are printed with the PDF core font and only their ASCII text.
type Fonts struct {
	Configured string

	once sync.Once
	ttf  []byte
	path string
}

var cjkCandidates = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
}

// load reads the first usable font once.
func (f *Fonts) load() {
	f.once.Do(func() {
		paths := cjkCandidates
		if f.Configured != "" {
			paths = append([]string{f.Configured}, paths...)
		}
		for _, p := range paths {
			if !strings.HasSuffix(strings.ToLower(p), ".ttf") {
				continue // fpdf cannot read .ttc or .otf collections
			}
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			pdf := fpdf.New("P", "mm", "A4", "")
			pdf.AddUTF8FontFromBytes("cjk", "", b)
			if pdf.Err() {
				continue
			}
			f.ttf, f.path = b, p
			return
		}
	})
}

// CJK reports whether Chinese text can be printed, and from which font file.
func (f *Fonts) CJK() (bool, string) {
	f.load()
	return f.ttf != nil, f.path
}

// asciiOnly drops what the PDF core font cannot show, collapsing the gaps.
func asciiOnly(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) }), " ")
}

// PNG renders one card at 300 dpi: the QR and the batch number (and the headline's Latin text;
// images are drawn without a font file, so Chinese is left to the PDF).
func PNG(c Card) ([]byte, error) {
	const dpi = 300.0
	px := func(mm float64) int { return int(math.Round(mm / 25.4 * dpi)) }
	w, h := px(c.Size.W), px(c.Size.H)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	landscape := c.Size.W > c.Size.H
	var qrSide, qrX, qrY int
	if landscape {
		qrSide = h - 2*px(5)
		qrX, qrY = px(5), px(5)
	} else {
		qrSide = w - 2*px(12)
		qrX, qrY = px(12), (h-qrSide)/2
	}
	q, err := qrcode.New(c.URL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("packcard: qr: %w", err)
	}
	q.DisableBorder = true
	draw.Draw(img, image.Rect(qrX, qrY, qrX+qrSide, qrY+qrSide), q.Image(qrSide), image.Point{}, draw.Src)
	ink := color.Black
	headline, batch := bitmapText(c.Headline), bitmapText(c.BatchNo)
	if landscape {
		left := qrX + qrSide + px(4)
		avail := w - left - px(4)
		if headline != "" {
			scale := max(1, min(6, avail/max(1, textWidth(headline, 1))))
			drawText(img, headline, left, px(8), scale, ink)
		}
		scale := max(1, min(5, avail/max(1, textWidth(batch, 1))))
		drawText(img, batch, left, h-px(6)-7*scale, scale, ink)
	} else {
		if headline != "" {
			scale := max(1, min(10, (w-2*px(8))/max(1, textWidth(headline, 1))))
			drawText(img, headline, (w-textWidth(headline, scale))/2, (qrY-7*scale)/2, scale, ink)
		}
		scale := max(1, min(6, (w-2*px(8))/max(1, textWidth(batch, 1))))
		drawText(img, batch, (w-textWidth(batch, scale))/2, qrY+qrSide+(h-qrY-qrSide-7*scale)/2, scale, ink)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PDF renders the batch as A4 sheets of c.PerPage cards each (c.Count cards in all), with crop
// marks at every cut line.
func PDF(c Card, fonts *Fonts) ([]byte, error) {
	cols, rows := Grid(c.Size)
	per := c.PerPage
	if per <= 0 || per > cols*rows {
		per = cols * rows
	}
	// Fill rows first; fewer cards a page shrink the grid to the rows they need.
	usedRows := (per + cols - 1) / cols
	if per < cols {
		cols = per
	}
	gridW, gridH := float64(cols)*c.Size.W, float64(usedRows)*c.Size.H
	x0, y0 := (pageW-gridW)/2, (pageH-gridH)/2
	qr, err := qrcode.New(c.URL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("packcard: qr: %w", err)
	}
	qr.DisableBorder = true
	qrPNG, err := qr.PNG(600)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	family, headline, batch := "Helvetica", asciiOnly(c.Headline), asciiOnly(c.BatchNo)
	if ok, _ := fonts.CJK(); ok {
		pdf.AddUTF8FontFromBytes("cjk", "", fonts.ttf)
		family, headline, batch = "cjk", strings.TrimSpace(c.Headline), c.BatchNo
	}
	pdf.SetTitle("Package cards "+asciiOnly(c.BatchNo), true)
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pages := (c.Count + per - 1) / per
	for p := range pages {
		pdf.AddPage()
		onPage := min(per, c.Count-p*per)
		for i := range onPage {
			x := x0 + float64(i%cols)*c.Size.W
			y := y0 + float64(i/cols)*c.Size.H
			card(pdf, c.Size, x, y, family, headline, batch)
		}
		cropMarks(pdf, x0, y0, cols, usedRows, c.Size)
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("packcard: pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("packcard: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// card draws one card with its top-left corner at (x, y).
func card(pdf *fpdf.Fpdf, s Size, x, y float64, family, headline, batch string) {
	pdf.SetTextColor(0, 0, 0)
	if s.W > s.H { // business card: QR left, text right
		side := s.H - 10
		pdf.ImageOptions("qr", x+5, y+5, side, side, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		tx, tw := x+5+side+4, s.W-side-14
		if headline != "" {
			pdf.SetFont(family, "", 10)
			pdf.SetXY(tx, y+7)
			pdf.MultiCell(tw, 4.6, headline, "", "L", false)
		}
		pdf.SetFont(family, "", 7)
		pdf.SetXY(tx, y+s.H-10)
		pdf.CellFormat(tw, 4, batch, "", 0, "L", false, 0, "")
		return
	}
	side := s.W - 24
	qy := y + (s.H-side)/2
	if headline != "" {
		pdf.SetFont(family, "", 16)
		pdf.SetXY(x+8, y+12)
		pdf.MultiCell(s.W-16, 7.5, headline, "", "C", false)
	}
	pdf.ImageOptions("qr", x+12, qy, side, side, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetFont(family, "", 9)
	pdf.SetXY(x+8, qy+side+8)
	pdf.CellFormat(s.W-16, 5, batch, "", 0, "C", false, 0, "")
}

// cropMarks draws short lines in the margin in line with every cut.
func cropMarks(pdf *fpdf.Fpdf, x0, y0 float64, cols, rows int, s Size) {
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	x1, y1 := x0+float64(cols)*s.W, y0+float64(rows)*s.H
	for i := 0; i <= cols; i++ {
		x := x0 + float64(i)*s.W
		pdf.Line(x, y0-markGap, x, y0-markGap-markLen)
		pdf.Line(x, y1+markGap, x, y1+markGap+markLen)
	}
	for j := 0; j <= rows; j++ {
		y := y0 + float64(j)*s.H
		pdf.Line(x0-markGap, y, x0-markGap-markLen, y)
		pdf.Line(x1+markGap, y, x1+markGap+markLen, y)
	}
}
