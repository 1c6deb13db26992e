package packcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
	"github.com/siyu-scrm/siyu/internal/store"
	"github.com/siyu-scrm/siyu/internal/store/storetest"
	"github.com/siyu-scrm/siyu/internal/wecom"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var seq atomic.Int64

// pageCount reads the page tree's /Count of a PDF fpdf wrote.
func pageCount(t *testing.T, pdf []byte) int {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
	}
	m := regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page tree in the PDF")
	}
	n, _ := strconv.Atoi(string(m[1]))
	if pages := bytes.Count(pdf, []byte("/Type /Page\n")); pages != n {
		t.Fatalf("page tree counts %d, %d page objects", n, pages)
	}
	return n
}

func TestGrid(t *testing.T) {
	for _, s := range Sizes {
		c, r := Grid(s)
		if float64(c)*s.W > pageW-2*minMargin || float64(r)*s.H > pageH-2*minMargin {
			t.Errorf("%s: %d×%d does not fit A4", s.Name, c, r)
		}
		if float64(c+1)*s.W <= pageW-2*minMargin || float64(r+1)*s.H <= pageH-2*minMargin {
			t.Errorf("%s: %d×%d wastes a column or row", s.Name, c, r)
		}
	}
	if MaxPerPage(Sizes[0]) != 10 || MaxPerPage(Sizes[1]) != 2 {
		t.Errorf("per page: %d, %d", MaxPerPage(Sizes[0]), MaxPerPage(Sizes[1]))
	}
}

// TestRender: the PNG decodes at 300 dpi of the card size with ink in the text area; the PDF has
// one A4 page per per_page cards, with the core font when no CJK font is found and with an
// embedded TrueType font when one is configured.
func TestRender(t *testing.T) {
	none := &Fonts{Configured: "/nonexistent.ttc"}
	none.once.Do(func() {}) // as on a host without any CJK TTF
	cjk := &Fonts{}
	hasCJK, _ := cjk.CJK()
	// inked counts black pixels of a PNG in a rectangle.
	inked := func(img image.Image, r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if v, _, _, _ := img.At(x, y).RGBA(); v < 0x8000 {
					n++
				}
			}
		}
		return n
	}
	for _, s := range Sizes {
		wantW, wantH := int(s.W/25.4*300+0.5), int(s.H/25.4*300+0.5)
		// The batch number is below the QR (portrait) or right of it at the bottom (landscape);
		// the headline above the QR or right of it at the top.
		batchArea := image.Rect(wantW*2/3, wantH-wantH/6, wantW, wantH)
		headArea := image.Rect(wantW*2/3, 0, wantW, wantH/4)
		if s.H > s.W {
			batchArea = image.Rect(0, wantH*4/5, wantW, wantH)
			headArea = image.Rect(0, 0, wantW, wantH/8)
		}
		for _, fonts := range []*Fonts{none, cjk} {
			if fonts == cjk && !hasCJK {
				continue
			}
			b, err := PNG(Card{URL: "https://siyu.example/l/abcdefgh?b=B-01", Headline: "扫码领券", BatchNo: "B-01", Size: s}, fonts)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: PNG does not decode: %v", s.Name, err)
			}
			if img.Bounds().Dx() != wantW || img.Bounds().Dy() != wantH {
				t.Errorf("%s: %v, want %d×%d", s.Name, img.Bounds(), wantW, wantH)
			}
			if inked(img, batchArea) == 0 {
				t.Errorf("%s: no batch number drawn", s.Name)
			}
			// A Chinese headline needs the CJK font: drawn with it, left out without it.
			if got := inked(img, headArea); (fonts == cjk) != (got > 0) {
				t.Errorf("%s, CJK font %v: %d inked pixels where the headline goes", s.Name, fonts == cjk, got)
			}
		}
	}
	for _, tc := range []struct {
		size    Size
		count   int
		perPage int
		pages   int
	}{{Sizes[0], 25, 0, 3}, {Sizes[0], 25, 4, 7}, {Sizes[1], 3, 0, 2}, {Sizes[1], 1, 1, 1}} {
		pdf, err := PDF(Card{URL: "https://x/l/abc?b=N1", Headline: "扫码领券 Scan me", BatchNo: "N1", Size: tc.size, PerPage: tc.perPage, Count: tc.count}, none)
		if err != nil {
			t.Fatal(err)
		}
		if n := pageCount(t, pdf); n != tc.pages {
			t.Errorf("%s ×%d, %d a page: %d pages, want %d", tc.size.Name, tc.count, tc.perPage, n, tc.pages)
		}
		if n := bytes.Count(pdf, []byte("/FontFile2")); n != 1 {
			t.Errorf("%d embedded fonts without a CJK font, want the Latin one only", n)
		}
	}
	// The CJK TrueType font .ci/run installs (fonts-droid-fallback); CI must have it.
	_, path := cjk.CJK()
	if !hasCJK {
		if os.Getenv("CI") == "true" {
			t.Fatal("no CJK TrueType font: install fonts-droid-fallback (.ci/run does)")
		}
		t.Skip("no CJK TrueType font on this host (apt-get install fonts-droid-fallback)")
	}
	pdf, err := PDF(Card{URL: "https://x/l/abc?b=N1", Headline: "扫码领券 满100减20", BatchNo: "N1", Size: Sizes[0], Count: 10}, cjk)
	if err != nil {
		t.Fatal(err)
	}
	if pageCount(t, pdf) != 1 || bytes.Count(pdf, []byte("/FontFile2")) != 2 {
		t.Errorf("the CJK font %s is not embedded beside the Latin one", path)
	}
}

type noWeCom struct{}

func (noWeCom) Client(context.Context, int64) (*wecom.Client, error) {
	return nil, errors.New("no WeCom")
}

// TestBatches: CRUD in scope, bad input, unique batch numbers, and a manager outside the code's
// branch sees nothing.
func TestBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		o := org.NewService(db, nil, log, org.Options{})
		tn, err := o.CreateTenant(ctx, fmt.Sprintf("pc%d", seq.Add(1)), "包裹卡")
		if err != nil {
			t.Fatal(err)
		}
		owner := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Owner})
		units, _ := o.ListUnits(owner)
		east, err := o.CreateUnit(owner, org.UnitInput{ParentID: units[0].ID, Name: "华东", Kind: org.KindBranch})
		if err != nil {
			t.Fatal(err)
		}
		south, err := o.CreateUnit(owner, org.UnitInput{ParentID: units[0].ID, Name: "华南", Kind: org.KindBranch})
		if err != nil {
			t.Fatal(err)
		}
		st, err := o.CreateStaff(owner, org.StaffInput{Name: "导购", WeComUserID: "g1", OrgUnitID: east.ID})
		if err != nil {
			t.Fatal(err)
		}
		acq := acquisition.New(db, noWeCom{}, log, acquisition.Options{})
		t.Cleanup(acq.Close)
		ch, err := acq.CreateChannel(owner, acquisition.ChannelInput{Name: "包裹", Kind: "package_card", Tier: "bottom", OrgUnitID: east.ID})
		if err != nil {
			t.Fatal(err)
		}
		code, err := acq.CreateCode(owner, acquisition.LiveCodeInput{ChannelID: ch.ID, Name: "包裹卡码", Strategy: acquisition.RoundRobin,
			Staff: []acquisition.CodeStaffInput{{StaffID: st.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		svc := New(db, acq, "")
		b, err := svc.CreateBatch(owner, BatchInput{CodeID: code.ID, Name: "11月", BatchNo: "N11-01", Headline: "扫码领取售后服务", Count: 25, CardSize: "90x54"})
		if err != nil {
			t.Fatal(err)
		}
		if b.PerPage != 10 || b.Pages != 3 || b.Slug != code.Slug || b.ChannelName != "包裹" {
			t.Errorf("batch %+v", b)
		}
		c := CardOf(b, "https://siyu.example/l/"+b.Slug)
		if c.URL != "https://siyu.example/l/"+code.Slug+"?b=N11-01" {
			t.Errorf("card URL %s", c.URL)
		}
		if _, err := svc.CreateBatch(owner, BatchInput{CodeID: code.ID, Name: "重复", BatchNo: "N11-01", Count: 1, CardSize: "100x150"}); httpx.AsError(err).Fields["batch_no"].Code != "taken" {
			t.Errorf("same batch number: %v", err)
		}
		_, err = svc.CreateBatch(owner, BatchInput{CodeID: 999999, Name: "", BatchNo: "空 格", Count: MaxCount + 1, CardSize: "100x150", PerPage: 3, Headline: strings.Repeat("长", 41)})
		e := httpx.AsError(err)
		for _, f := range []string{"code_id", "name", "batch_no", "count", "per_page", "headline"} {
			if _, ok := e.Fields[f]; !ok {
				t.Errorf("bad batch: no error for %s in %v", f, err)
			}
		}
		if len(e.Fields) != 6 {
			t.Errorf("bad batch: %v", err)
		}
		b2, err := svc.UpdateBatch(owner, b.ID, BatchInput{CodeID: code.ID, Name: "11月", BatchNo: "N11-02", Count: 3, CardSize: "100x150"})
		if err != nil || b2.PerPage != 2 || b2.Pages != 2 || b2.BatchNo != "N11-02" {
			t.Errorf("update: %+v %v", b2, err)
		}
		mgr := func(u org.Unit) context.Context {
			return org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Manager, OrgUnitID: u.ID, OrgPath: u.Path})
		}
		if l, err := svc.Batches(mgr(east), 0); err != nil || len(l) != 1 {
			t.Errorf("east manager: %v %v", l, err)
		}
		if l, err := svc.Batches(mgr(south), 0); err != nil || len(l) != 0 {
			t.Errorf("south manager sees %v %v", l, err)
		}
		if _, err := svc.Batch(mgr(south), b.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("south manager reads the batch: %v", err)
		}
		if err := svc.DeleteBatch(mgr(south), b.ID); httpx.ErrorCode(err) != httpx.NotFound {
			t.Errorf("south manager deletes the batch: %v", err)
		}
		analyst := org.WithCaller(ctx, org.Caller{TenantID: tn.ID, TenantSlug: tn.Slug, Role: org.Analyst})
		if err := svc.DeleteBatch(analyst, b.ID); httpx.ErrorCode(err) != httpx.Forbidden {
			t.Errorf("analyst deletes: %v", err)
		}
		if err := svc.DeleteBatch(owner, b.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := svc.Batches(owner, code.ID); len(l) != 0 {
			t.Errorf("after delete: %v", l)
		}
	})
}
