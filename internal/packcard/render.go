package packcard

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
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
	// parse holds the fonts parsed for drawing PNGs and splitting text (fpdf parses its own
	// copies): the CJK font when found, and Go's own Latin font, because CJK fallback fonts
	// such as Droid Sans Fallback carry no Latin letters or digits.
	parse    sync.Once
	cjkFont  *opentype.Font
	latin    *opentype.Font
	parseErr error
	glyphs   sfnt.Buffer
	glyphMu  sync.Mutex
}

func (f *Fonts) parsed() error {
	f.load()
	f.parse.Do(func() {
		if f.latin, f.parseErr = opentype.Parse(goregular.TTF); f.parseErr != nil {
			return
		}
		if f.ttf != nil {
			f.cjkFont, f.parseErr = opentype.Parse(f.ttf)
		}
	})
	if f.parseErr != nil {
		return fmt.Errorf("packcard: font %s: %w", f.path, f.parseErr)
	}
	return nil
}

// textRun is part of a line drawn in one font.
type textRun struct {
	text string
	cjk  bool
}

// runs splits s into runs of the Latin font and of the CJK font: a rune goes to the Latin font
// when it has it, else to the CJK font when there is one and it has it; runes neither has are
// dropped (no boxes for missing glyphs on a printed card).
func (f *Fonts) runs(s string) ([]textRun, error) {
	if err := f.parsed(); err != nil {
		return nil, err
	}
	f.glyphMu.Lock()
	defer f.glyphMu.Unlock()
	has := func(ft *opentype.Font, r rune) bool {
		if ft == nil {
			return false
		}
		i, err := ft.GlyphIndex(&f.glyphs, r)
		return err == nil && i != 0
	}
	var out []textRun
	for _, r := range strings.TrimSpace(s) {
		cjk := false
		switch {
		case r == ' ' || has(f.latin, r):
		case has(f.cjkFont, r):
			cjk = true
		default:
			continue
		}
		if n := len(out); n > 0 && out[n-1].cjk == cjk {
			out[n-1].text += string(r)
		} else {
			out = append(out, textRun{string(r), cjk})
		}
	}
	return out, nil
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

// PNG renders one card at 300 dpi: the QR, the headline and the batch number (Chinese in the CJK
// font when one is found, everything else in Go's Latin font).
func PNG(c Card, fonts *Fonts) ([]byte, error) {
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
	headline := c.Headline
	// Each text gets a box; it is drawn as large as fits, up to the box's height.
	if landscape {
		left := qrX + qrSide + px(4)
		box := image.Rect(left, px(6), w-px(4), px(6)+px(9))
		if err := fonts.drawText(img, headline, box, false); err != nil {
			return nil, err
		}
		if err := fonts.drawText(img, c.BatchNo, image.Rect(left, h-px(6)-px(5), w-px(4), h-px(6)), false); err != nil {
			return nil, err
		}
	} else {
		if err := fonts.drawText(img, headline, image.Rect(px(8), (qrY-px(12))/2, w-px(8), (qrY+px(12))/2), true); err != nil {
			return nil, err
		}
		bottom := qrY + qrSide
		if err := fonts.drawText(img, c.BatchNo, image.Rect(px(8), bottom+(h-bottom-px(7))/2, w-px(8), bottom+(h-bottom+px(7))/2), true); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawText writes s in black inside box, as large as fits its width and height, centred when
// asked.
func (f *Fonts) drawText(dst *image.RGBA, s string, box image.Rectangle, center bool) error {
	runs, err := f.runs(s)
	if err != nil || len(runs) == 0 || box.Empty() {
		return err
	}
	faces := func(size float64) (latin, cjk font.Face, err error) {
		opts := &opentype.FaceOptions{Size: max(size, 1), DPI: 72, Hinting: font.HintingNone}
		if latin, err = opentype.NewFace(f.latin, opts); err != nil || f.cjkFont == nil {
			return latin, nil, err
		}
		cjk, err = opentype.NewFace(f.cjkFont, opts)
		return latin, cjk, err
	}
	width := func(latin, cjk font.Face) int {
		var w fixed.Int26_6
		for _, r := range runs {
			face := latin
			if r.cjk {
				face = cjk
			}
			w += font.MeasureString(face, r.text)
		}
		return w.Ceil()
	}
	size := float64(box.Dy()) * 0.9
	latin, cjk, err := faces(size)
	if err != nil {
		return err
	}
	if wd := width(latin, cjk); wd > box.Dx() {
		size *= float64(box.Dx()) / float64(wd)
		if latin, cjk, err = faces(size); err != nil {
			return err
		}
	}
	x := box.Min.X
	if center {
		x += (box.Dx() - width(latin, cjk)) / 2
	}
	m := latin.Metrics()
	y := box.Min.Y + (box.Dy()-(m.Ascent+m.Descent).Ceil())/2 + m.Ascent.Ceil()
	d := font.Drawer{Dst: dst, Src: image.Black, Dot: fixed.P(x, y)}
	for _, r := range runs {
		d.Face = latin
		if r.cjk {
			d.Face = cjk
		}
		d.DrawString(r.text)
	}
	return nil
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
	pdf.AddUTF8FontFromBytes("latin", "", goregular.TTF)
	if ok, _ := fonts.CJK(); ok {
		pdf.AddUTF8FontFromBytes("cjk", "", fonts.ttf)
	}
	headline, err := fonts.runs(c.Headline)
	if err != nil {
		return nil, err
	}
	batch, err := fonts.runs(c.BatchNo)
	if err != nil {
		return nil, err
	}
	pdf.SetTitle("Package cards "+c.BatchNo, true)
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pages := (c.Count + per - 1) / per
	for p := range pages {
		pdf.AddPage()
		onPage := min(per, c.Count-p*per)
		for i := range onPage {
			x := x0 + float64(i%cols)*c.Size.W
			y := y0 + float64(i/cols)*c.Size.H
			card(pdf, c.Size, x, y, headline, batch)
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
func card(pdf *fpdf.Fpdf, s Size, x, y float64, headline, batch []textRun) {
	pdf.SetTextColor(0, 0, 0)
	if s.W > s.H { // business card: QR left, text right
		side := s.H - 10
		pdf.ImageOptions("qr", x+5, y+5, side, side, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		tx, tw := x+5+side+4, s.W-side-14
		line(pdf, headline, tx, y+11, tw, 11, false)
		line(pdf, batch, tx, y+s.H-7, tw, 7, false)
		return
	}
	side := s.W - 24
	qy := y + (s.H-side)/2
	line(pdf, headline, x+8, y+18, s.W-16, 18, true)
	pdf.ImageOptions("qr", x+12, qy, side, side, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	line(pdf, batch, x+8, qy+side+12, s.W-16, 10, true)
}

// line writes runs on one baseline at y from x, at most size points and small enough to fit
// width millimetres, centred when asked.
func line(pdf *fpdf.Fpdf, runs []textRun, x, y, width, size float64, center bool) {
	family := func(r textRun) string {
		if r.cjk {
			return "cjk"
		}
		return "latin"
	}
	total := func(size float64) float64 {
		var w float64
		for _, r := range runs {
			pdf.SetFont(family(r), "", size)
			w += pdf.GetStringWidth(r.text)
		}
		return w
	}
	w := total(size)
	if w > width && w > 0 {
		size *= width / w
		w = total(size)
	}
	if center {
		x += (width - w) / 2
	}
	for _, r := range runs {
		pdf.SetFont(family(r), "", size)
		pdf.Text(x, y, r.text)
		x += pdf.GetStringWidth(r.text)
	}
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
