package ladder

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// The SVG's geometry, in pixels. Left to right: virtual times, the client's
// TIME-WAIT bracket, its states, its line; the server's line, its states,
// its bracket.
const (
	svgWidth      = 920
	clientX       = 270
	serverX       = 670
	clientBracket = 96
	serverBracket = 830
	topY          = 90
	rowH          = 26
	gapH          = 40
	bottomMargin  = 50
	labelAt       = 0.3
)

func (d *Diagram) rowY(row int) float64 {
	gaps := 0
	for _, g := range d.Gaps {
		if g.AfterRow < row {
			gaps++
		}
	}
	for _, o := range d.Omissions {
		if o.Row <= row {
			gaps++ // room for the "not drawn" line above the omission's row
		}
	}
	return float64(topY + row*rowH + gaps*gapH)
}

func sideX(s harness.Side) float64 {
	if s == harness.Client {
		return clientX
	}
	return serverX
}

// SVG writes the diagram as a standalone SVG image.
func (d *Diagram) SVG(out io.Writer) error {
	w := bufio.NewWriter(out)
	bottom := d.rowY(len(d.RowTimes)) + bottomMargin
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		svgWidth, bottom, svgWidth, bottom)
	w.WriteString(`<defs>
<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f3b73"/></marker>
<marker id="head-dup" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7a3fa0"/></marker>
</defs>
<style>
.segment text { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.state { font-size: 11px; font-weight: bold; fill: #2d6a2d; }
.time { font-size: 10px; fill: #777; }
.gap { font-size: 11px; font-style: italic; fill: #555; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.end { font-size: 14px; font-weight: bold; }
.time-wait text { font-size: 11px; fill: #a0522d; }
</style>
`)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	for _, s := range []harness.Side{harness.Client, harness.Server} {
		name := d.Options.Client
		if s == harness.Server {
			name = d.Options.Server
		}
		fmt.Fprintf(w, `<text class="end" x="%.0f" y="%d" text-anchor="middle">%s</text>`+"\n", sideX(s), topY-50, html.EscapeString(name))
		fmt.Fprintf(w, `<line class="lifeline" x1="%.0f" y1="%d" x2="%.0f" y2="%.0f" stroke="#333" stroke-width="2"/>`+"\n",
			sideX(s), topY-30, sideX(s), bottom-bottomMargin/2)
	}
	for _, g := range d.Gaps {
		d.writeGap(w, g)
	}
	for _, b := range d.Brackets {
		d.writeBracket(w, b)
	}
	for _, s := range d.States {
		d.writeState(w, s)
	}
	for i := range d.Arrows {
		d.writeArrow(w, &d.Arrows[i])
	}
	for _, o := range d.Omissions {
		fmt.Fprintf(w, `<text class="gap omitted" x="%d" y="%.0f" text-anchor="middle">… %d segments not drawn (%s to %s) …</text>`+"\n",
			(clientX+serverX)/2, d.rowY(o.Row)-gapH/2+4, o.Count, FormatClock(o.From), FormatClock(o.To))
	}
	w.WriteString("</svg>\n")
	return w.Flush()
}

func (d *Diagram) writeArrow(w *bufio.Writer, a *Arrow) {
	r := a.Record
	x1, y1 := sideX(a.From), d.rowY(a.SentRow)
	x2 := sideX(a.From.Other())
	var y2 float64
	cross := a.ArrivedRow < 0
	if cross {
		// It never reached the other end's TCP: stop half-way (a
		// corrupted one, which reached the other end only to be dropped by
		// its checksum, stops just short of it).
		frac := 0.5
		if r.Fate == harness.Corrupted {
			frac = 0.92
		}
		x2 = x1 + (x2-x1)*frac
		y2 = y1 + rowH*0.8*frac*2
	} else {
		y2 = d.rowY(a.ArrivedRow)
	}
	color, dash, marker := "#1f3b73", "", `marker-end="url(#head)"`
	switch r.Fate {
	case harness.Dropped, harness.QueueDropped:
		color, marker = "#c0392b", ""
	case harness.Corrupted:
		color, dash, marker = "#d35400", ` stroke-dasharray="6,3"`, ""
	case harness.Duplicated:
		color, dash, marker = "#7a3fa0", ` stroke-dasharray="2,2"`, `marker-end="url(#head-dup)"`
	}
	fmt.Fprintf(w, `<g class="segment" data-index="%d" data-fate="%s">`, r.Index, r.Fate)
	fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.6"%s %s/>`, x1, y1, x2, y2, color, dash, marker)
	if cross {
		fmt.Fprintf(w, `<path class="cross" d="M%.1f,%.1f l10,10 m0,-10 l-10,10" stroke="%s" stroke-width="2.5"/>`, x2-5, y2-5, color)
	}
	// The label runs along the arrow, upright, just above it.
	angle := math.Atan2(y2-y1, x2-x1) * 180 / math.Pi
	if x2 < x1 {
		angle += 180
	}
	// Placed a third of the way from the sender, so that the labels of two
	// arrows that cross (a simultaneous close) do not sit on each other.
	mx, my := x1+(x2-x1)*labelAt, y1+(y2-y1)*labelAt
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" transform="rotate(%.2f %.1f %.1f)">%s</text>`,
		mx, my-4, color, angle, mx, my, html.EscapeString(a.Label))
	fmt.Fprintf(w, `<text class="time" x="8" y="%.1f">%s</text>`, y1+3, FormatClock(r.At))
	w.WriteString("</g>\n")
}

func (d *Diagram) writeState(w *bufio.Writer, s StateMark) {
	y := d.rowY(s.Row) + 4
	x, anchor := float64(clientX-10), "end"
	if s.Side == harness.Server {
		x, anchor = serverX+10, "start"
	}
	fmt.Fprintf(w, `<text class="state" data-side="%s" x="%.0f" y="%.1f" text-anchor="%s">%s%s</text>`+"\n",
		s.Side, x, y, anchor, s.State, html.EscapeString(s.Conn))
}

func (d *Diagram) writeBracket(w *bufio.Writer, b Bracket) {
	x, tick := float64(clientBracket), 8.0
	if b.Side == harness.Server {
		x, tick = serverBracket, -8
	}
	y1, y2 := d.rowY(b.FromRow), d.rowY(b.ToRow)
	label := "TIME-WAIT 2MSL = " + FormatDuration(b.Duration)
	if b.Open {
		label = "TIME-WAIT (run ended after " + FormatDuration(b.Duration) + ")"
	}
	fmt.Fprintf(w, `<g class="time-wait" data-side="%s">`, b.Side)
	fmt.Fprintf(w, `<path d="M%.0f,%.1f h%.0f V%.1f h%.0f" fill="none" stroke="#a0522d" stroke-width="2"/>`, x+tick, y1, -tick, y2, tick)
	tx := x - 6
	if b.Side == harness.Server {
		tx = x + 14
	}
	fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="middle" transform="rotate(-90 %.0f %.1f)">%s</text>`,
		tx, (y1+y2)/2, tx, (y1+y2)/2, html.EscapeString(label))
	w.WriteString("</g>\n")
}

func (d *Diagram) writeGap(w *bufio.Writer, g Gap) {
	y := (d.rowY(g.AfterRow) + d.rowY(g.AfterRow+1)) / 2
	fmt.Fprintf(w, `<g class="gap-break">`)
	for _, x := range []float64{clientX, serverX} {
		fmt.Fprintf(w, `<rect x="%.0f" y="%.1f" width="16" height="12" fill="#fff"/>`, x-8, y-6)
		fmt.Fprintf(w, `<path d="M%.0f,%.1f l16,-4 M%.0f,%.1f l16,-4" stroke="#333" stroke-width="1.5"/>`, x-8, y-2, x-8, y+6)
	}
	fmt.Fprintf(w, `<text class="gap" x="%d" y="%.1f" text-anchor="middle">%s later</text>`, (clientX+serverX)/2, y+4, FormatDuration(g.Duration))
	w.WriteString("</g>\n")
}

// FormatClock prints a virtual instant as seconds since the run began.
func FormatClock(at time.Duration) string {
	return fmt.Sprintf("%.3f s", at.Seconds())
}
