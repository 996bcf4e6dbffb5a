package benchmark

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Chart geometry, in SVG user units.
const (
	chartWidth   = 960
	chartHeight  = 410
	panelTop     = 130
	panelHeight  = 220
	panelLeft    = 70
	panelWidth   = 230
	panelSpacing = 310
)

// lineStyle tells the kinds apart by colour and, for print and colour
// blindness, by dash pattern.
type lineStyle struct{ color, dash, label string }

var kindStyles = map[Kind]lineStyle{
	KindFloor:       {"#767676", "6 4", "terraform_data (floor)"},
	KindPluginFloor: {"#d95f02", "2 3", "floor_data (plugin floor: terraform_data in a plugin)"},
	KindSchemaFloor: {"#1b9e77", "10 3 2 3", "floor_api_key (schema floor: astral_api_key's schema, no code)"},
	KindProvider:    {"#1f6fb4", "", "astral_api_key (provider); label: ratio to the floor"},
}

var panelTitles = map[Step]string{
	StepApply:   "terraform apply",
	StepPlan:    "terraform plan (refresh)",
	StepDestroy: "terraform destroy",
}

// Chart draws the median wall time of each step against N (log scale) for
// every kind, one panel per step, as a standalone SVG image.
func (r Report) Chart() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", chartWidth, chartHeight)
	text(&b, chartWidth/2, 24, "middle", `font-size="16" font-weight="bold"`,
		"Wall time against N: astral_api_key (provider) and three floors, medians")
	m := r.Machine
	text(&b, chartWidth/2, 42, "middle", `font-size="11" fill="#555555"`, fmt.Sprintf("%s, %d CPUs (%s), %s, %s",
		m.Date.UTC().Format("2006-01-02"), m.CPUs, orUnknown(m.CPUModel), orUnknown(m.TerraformVersion), orUnknown(m.GoVersion)))

	// Legend: two columns, the dearest kind first.
	for i, k := range []Kind{KindProvider, KindSchemaFloor, KindPluginFloor, KindFloor} {
		l := kindStyles[k]
		x, y := 60+i%2*440, 64+i/2*22
		series(&b, l.color, l.dash, [][2]float64{{float64(x), float64(y)}, {float64(x + 36), float64(y)}})
		text(&b, x+44, y+4, "start", "", l.label)
	}

	for i, step := range Steps {
		r.panel(&b, panelLeft+i*panelSpacing, step)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func (r Report) panel(b *bytes.Buffer, left int, step Step) {
	top, bottom, right := panelTop, panelTop+panelHeight, left+panelWidth
	text(b, left+panelWidth/2, top-10, "middle", `font-weight="bold"`, panelTitles[step])

	ns := slices.Sorted(slices.Values(r.Ns))
	var walls []float64
	for _, n := range ns {
		for _, k := range Kinds {
			if s, ok := r.Summaries[Key{k, step, n}]; ok && s.Wall > 0 {
				walls = append(walls, s.Wall.Seconds())
			}
		}
	}
	ticks := logTicks(walls)
	yLo, yHi := math.Log10(ticks[0]), math.Log10(ticks[len(ticks)-1])
	y := func(s float64) float64 { return float64(bottom) - (math.Log10(s)-yLo)/(yHi-yLo)*panelHeight }

	// The x axis is log10(N), padded so that the end points are not on the frame.
	lo, hi := 1.0, 3.0
	if len(ns) > 0 {
		lo, hi = math.Log10(float64(ns[0])), math.Log10(float64(ns[len(ns)-1]))
	}
	lo, hi = lo-0.25, hi+0.25
	x := func(n int) float64 { return float64(left) + (math.Log10(float64(n))-lo)/(hi-lo)*panelWidth }

	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#000000"/>`+"\n", left, top, panelWidth, panelHeight)
	for _, v := range ticks {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", left, y(v), right, y(v))
		text(b, left-6, int(y(v))+4, "end", "", strconv.FormatFloat(v, 'g', -1, 64))
	}
	for _, n := range ns {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/>`+"\n", x(n), top, x(n), bottom)
		text(b, int(x(n)), bottom+16, "middle", "", strconv.Itoa(n))
	}
	text(b, left+panelWidth/2, bottom+36, "middle", "", "N resources (log scale)")
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" transform="rotate(-90 %d %d)">wall time (s, log scale)</text>`+"\n",
		left-44, top+panelHeight/2, left-44, top+panelHeight/2)

	// The provider is drawn last, on top.
	for _, k := range Kinds {
		var pts [][2]float64
		for _, n := range ns {
			if s, ok := r.Summaries[Key{k, step, n}]; ok {
				pts = append(pts, [2]float64{x(n), y(s.Wall.Seconds())})
			}
		}
		style := kindStyles[k]
		series(b, style.color, style.dash, pts)
		for _, p := range pts {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", p[0], p[1], style.color)
		}
	}
	for _, n := range ns {
		p, okP := r.Summaries[Key{KindProvider, step, n}]
		f, okF := r.Summaries[Key{KindFloor, step, n}]
		if q, ok := Ratio(p.Wall, f.Wall); okP && okF && ok {
			text(b, int(x(n)), int(y(p.Wall.Seconds()))-9, "middle",
				// A white halo keeps the label legible where it crosses another series.
				`fill="`+kindStyles[KindProvider].color+`" stroke="#ffffff" stroke-width="3" paint-order="stroke"`, fmt.Sprintf("%.1f×", q))
		}
	}
}

// logTicks returns the ticks of a log-scale axis that covers values with
// some room below the smallest and above the largest (for the ratio labels): every 1, 2 and 5
// times a power of ten from the one at or below the smallest value to the
// one at or above the largest. Without values it covers 0.1 to 1.
func logTicks(values []float64) []float64 {
	lo, hi := 0.1, 1.0
	if len(values) > 0 {
		lo, hi = slices.Min(values)/1.15, slices.Max(values)*1.25
	}
	var ticks []float64
	for exp := math.Floor(math.Log10(lo)); ; exp++ {
		for _, m := range []float64{1, 2, 5} {
			// Rounding to 12 significant digits keeps 0.1*3 from printing as 0.30000000000000004.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(m*math.Pow(10, exp), 'g', 12, 64), 64)
			switch {
			case v <= lo:
				ticks = []float64{v}
			case v < hi:
				ticks = append(ticks, v)
			default:
				return append(ticks, v)
			}
		}
	}
}

func series(b *bytes.Buffer, color, dash string, pts [][2]float64) {
	if len(pts) == 0 {
		return
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2.5"`, color)
	if dash != "" {
		fmt.Fprintf(b, ` stroke-dasharray="%s"`, dash)
	}
	b.WriteString(` points="`)
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%.1f,%.1f", p[0], p[1])
	}
	b.WriteString(`"/>` + "\n")
}

// text writes a text element; attrs is trusted markup, s is escaped.
func text(b *bytes.Buffer, x, y int, anchor, attrs, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" %s>`, x, y, anchor, attrs)
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer never fails to write
	b.WriteString("</text>\n")
}
