//go:build linux

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// samples holds the measurements of one metric, per contender, in round order.
type samples map[string][]float64

// median returns the median of xs (NaN when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// metric is one row of a results table.
type metric struct {
	name   string // what is measured, with its unit
	format string // how a value prints, e.g. "%.2f"
	higher bool   // higher is better (throughput), else lower is better (latency, memory)
	data   samples
	rounds map[string][]int // the round of each sample in data
}

// ratio returns median(a)/median(b) for the metric, NaN when either is missing.
func (m *metric) ratio(a, b string) float64 {
	x, y := median(m.data[a]), median(m.data[b])
	if math.IsNaN(x) || math.IsNaN(y) || y == 0 {
		return math.NaN()
	}
	return x / y
}

// add records one sample taken in round.
func (m *metric) add(round int, contender string, v float64) {
	if m.data == nil {
		m.data, m.rounds = samples{}, map[string][]int{}
	}
	m.data[contender] = append(m.data[contender], v)
	m.rounds[contender] = append(m.rounds[contender], round)
}

// pairedRatio returns the median over rounds of a/b within the same round (robust to drift
// of the machine between rounds), NaN when no round has both.
func (m *metric) pairedRatio(a, b string) float64 {
	byRound := map[int]float64{}
	for i, r := range m.rounds[b] {
		byRound[r] = m.data[b][i]
	}
	var rs []float64
	for i, r := range m.rounds[a] {
		if y, ok := byRound[r]; ok && y != 0 {
			rs = append(rs, m.data[a][i]/y)
		}
	}
	return median(rs)
}

// printTable writes medians per contender and the ratio of each contender's median to base's,
// followed in parentheses by the median of the per-round ratios.
func printTable(w io.Writer, metrics []*metric, contenders []string, base string) {
	const first = 34
	width := 10
	for _, c := range contenders {
		width = max(width, len(c))
	}
	fmt.Fprintf(w, "\n%-*s", first, "median of rounds")
	for _, c := range contenders {
		fmt.Fprintf(w, " %*s", width, c)
	}
	rwidth := map[string]int{}
	for _, c := range contenders {
		if c != base {
			rwidth[c] = max(20, len(c+"/"+base))
			fmt.Fprintf(w, " %*s", rwidth[c], c+"/"+base)
		}
	}
	fmt.Fprintln(w)
	for _, m := range metrics {
		if len(m.data) == 0 {
			continue
		}
		fmt.Fprintf(w, "%-*s", first, m.name)
		for _, c := range contenders {
			v := median(m.data[c])
			if math.IsNaN(v) {
				fmt.Fprintf(w, " %*s", width, "-")
			} else {
				fmt.Fprintf(w, " %*s", width, fmt.Sprintf(m.format, v))
			}
		}
		for _, c := range contenders {
			if c == base {
				continue
			}
			r, p := m.ratio(c, base), m.pairedRatio(c, base)
			cell := "-"
			switch {
			case math.IsNaN(r):
			case math.IsNaN(p):
				cell = fmt.Sprintf("%.2f×", r)
			default:
				cell = fmt.Sprintf("%.2f× (%.2f×)", r, p)
			}
			// "×" is two bytes and one column: pad by runes.
			fmt.Fprintf(w, " %s%s", strings.Repeat(" ", max(0, rwidth[c]-utf8.RuneCountInString(cell))), cell)
		}
		fmt.Fprintln(w)
	}
}

// printRounds writes every sample of every metric, for the record.
func printRounds(w io.Writer, metrics []*metric, contenders []string) {
	fmt.Fprintf(w, "\nrounds (in the order measured):\n")
	for _, m := range metrics {
		for _, c := range contenders {
			xs := m.data[c]
			if len(xs) == 0 {
				continue
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				parts[i] = fmt.Sprintf(m.format, x)
			}
			fmt.Fprintf(w, "  %-34s %-10s %s\n", m.name, c, strings.Join(parts, " "))
		}
	}
}

// verdict is one requirement (or aim) checked against a measurement.
type verdict struct {
	what    string // what was compared
	got     string // the measured value, formatted
	need    string // the bound, formatted
	ok      bool
	aim     bool   // an aim: missing it is reported but does not fail the run
	skipped string // why it was not measured ("" when it was)
}

// verdicts is the list of requirement checks of a run.
type verdicts []verdict

// ratioVerdict checks a ratio of contender to base on metric m against bound: at least bound
// when higher values are better, at most bound otherwise.
func ratioVerdict(m *metric, contender, base string, bound float64, aim bool) verdict {
	what := fmt.Sprintf("%s %s/%s", m.name, contender, base)
	cmp := "≤"
	if m.higher {
		cmp = "≥"
	}
	v := verdict{what: what, need: fmt.Sprintf("%s%.2f×", cmp, bound), aim: aim}
	r := m.ratio(contender, base)
	if math.IsNaN(r) {
		var missing []string
		for _, c := range []string{contender, base} {
			if len(m.data[c]) == 0 {
				missing = append(missing, c)
			}
		}
		v.skipped = strings.Join(missing, " and ") + " not measured"
		return v
	}
	v.got = fmt.Sprintf("%.2f×", r)
	v.ok = (m.higher && r >= bound) || (!m.higher && r <= bound)
	return v
}

// print writes each verdict and reports whether a requirement (not an aim) failed.
func (vs verdicts) print(w io.Writer) (failed bool) {
	for _, v := range vs {
		kind := "required"
		if v.aim {
			kind = "aim"
		}
		switch {
		case v.skipped != "":
			fmt.Fprintf(w, "  SKIP  %-8s %s %s: %s\n", kind, v.what, v.need, v.skipped)
		case v.ok:
			fmt.Fprintf(w, "  ok    %-8s %s %s: %s\n", kind, v.what, v.need, v.got)
		default:
			label := "FAIL"
			if v.aim {
				label = "miss"
			} else {
				failed = true
			}
			fmt.Fprintf(w, "  %-5s %-8s %s %s: %s\n", label, kind, v.what, v.need, v.got)
		}
	}
	return failed
}
