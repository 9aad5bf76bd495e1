package socketunit

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goldenanalyze "github.com/sockvisor/sockvisor/testdata/gen/analyze"
)

// The golden corpus: real units from Debian packages and generated broken variants, with the
// diagnostics systemd-analyze verify 252 printed for each (testdata/golden/README.md).
const (
	corpusDir      = "../testdata/units"
	goldenDir      = "../testdata/golden"
	differencesMD  = "../testdata/golden/DIFFERENCES.md"
	minAgreement   = 0.99
	liveSampleStep = 40 // every 40th unit is re-verified live when systemd-analyze is installed
)

// finding is what the golden test compares: where (file and line) and about which key; for a
// finding about the whole unit (line 0), its message.
type finding struct {
	file string // base name, e.g. "ssh.socket"
	line int
	key  string // the key of the assignment at that line; "" when the line has none
	msg  string // only for line 0
}

func (f finding) String() string {
	if f.line == 0 {
		return fmt.Sprintf("%s: %s", f.file, f.msg)
	}
	return fmt.Sprintf("%s:%d %s", f.file, f.line, f.key)
}

var (
	goldenLine = regexp.MustCompile(`^([^:\s]+\.socket):(?:(\d+):)? (.*)$`)
	// ownCommand is sockvisor's own wording of a command that cannot run, which 252's verify
	// reports for the unit as "Command PATH is not executable: ERRNO".
	ownCommand = regexp.MustCompile(`^\w+= command (\S+) cannot be run \((.+)\): it will fail when started$`)
)

// keyAt returns the key of the assignment that ends at physical line n (1-based) of text,
// following backslash continuations back to where the assignment starts.
func keyAt(lines []string, n int) string {
	if n < 1 {
		return ""
	}
	i := min(n, len(lines)) - 1 // a continuation at the end of the file ends one line past it
	for i > 0 {
		prev := strings.TrimRight(lines[i-1], "\r")
		t := strings.TrimSpace(prev)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			i-- // comment lines inside a continuation are skipped
			continue
		}
		if !strings.HasSuffix(prev, "\\") || strings.HasSuffix(prev, "\\\\") {
			break
		}
		i--
	}
	k, _, ok := strings.Cut(lines[i], "=")
	if !ok {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(k, "\ufeff"))
}

// readLines reads a unit file as physical lines.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

// goldenFindings parses the stored golden lines of one unit.
func goldenFindings(t *testing.T, golden []string, lines []string) []finding {
	t.Helper()
	var out []finding
	for _, g := range golden {
		m := goldenLine.FindStringSubmatch(g)
		if m == nil {
			t.Errorf("golden line not understood: %q", g)
			continue
		}
		f := finding{file: m[1]}
		if m[2] == "" {
			f.msg = m[3]
		} else {
			f.line, _ = strconv.Atoi(m[2])
			f.key = keyAt(lines, f.line)
		}
		out = append(out, f)
	}
	return out
}

// ourFindings converts sockvisor's diagnostics into findings, leaving out what systemd-analyze
// does not print: sockvisor's own findings and notices. The own notice for a key newer than 252
// stands where 252 says it does not know the key, so it is compared as that warning.
func ourFindings(diags []Diagnostic, unit string, lines []string) []finding {
	var out []finding
	for _, d := range diags {
		if filepath.Base(d.File) != unit {
			continue
		}
		newer := false
		if k := lookupKey("Socket", d.Key); d.Own && k != nil && k.Since != "" {
			newer = true
		}
		if m := ownCommand.FindStringSubmatch(d.Message); d.Own && m != nil && !ignoredCommand(lines, d.Line) {
			out = append(out, finding{file: unit, msg: "Command " + m[1] + " is not executable: " + m[2]})
			continue
		}
		if (d.Own && !newer) || (d.Severity == SeverityNotice && !newer) {
			continue
		}
		if d.Line == 0 && strings.HasPrefix(d.Message, "Unit "+unit+" ") {
			continue // summary lines are left out of the golden output too (testdata/golden/README.md)
		}
		f := finding{file: unit, line: d.Line, key: d.Key}
		if d.Line == 0 {
			f.key, f.msg = "", d.Message
		} else if f.key == "" {
			f.key = keyAt(lines, d.Line)
		}
		if strings.HasPrefix(d.Message, "Accepting user/group name '") {
			f.line, f.key, f.msg = 0, "", d.Message // 252 prints this one without a location
		}
		out = append(out, f)
	}
	return out
}

// ignoredCommand reports whether the Exec*= line n starts with "-" (a failure is ignored), for
// which 252's verify does not check that the command exists.
func ignoredCommand(lines []string, n int) bool {
	if n < 1 || n > len(lines) {
		return false
	}
	_, v, _ := strings.Cut(lines[n-1], "=")
	return strings.HasPrefix(strings.TrimSpace(v), "-")
}

// difference is one finding present on only one side.
type difference struct {
	unit  string // path below testdata/units
	f     finding
	extra bool // sockvisor reports it, systemd does not
}

func (d difference) String() string {
	side := "missing"
	if d.extra {
		side = "extra"
	}
	return fmt.Sprintf("`%s %s` (%s)", d.unit, d.f, side)
}

// compare returns the number of matched findings and the differences of one unit.
func compare(unit string, golden, ours []finding) (int, []difference) {
	count := map[finding]int{}
	for _, g := range golden {
		count[g]++
	}
	matched := 0
	var diffs []difference
	for _, o := range ours {
		if count[o] > 0 {
			count[o]--
			matched++
			continue
		}
		diffs = append(diffs, difference{unit, o, true})
	}
	for _, g := range golden {
		if count[g] > 0 {
			count[g]--
			diffs = append(diffs, difference{unit, g, false})
		}
	}
	return matched, diffs
}

// listedDifferences reads DIFFERENCES.md: lines "- `UNIT FINDING` (extra|missing): reason".
func listedDifferences(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(differencesMD)
	if err != nil {
		t.Fatalf("the list of deliberate differences is missing: %v", err)
	}
	defer f.Close()
	listed := map[string]string{}
	re := regexp.MustCompile("^- (`[^`]+` \\((?:extra|missing)\\)): (.+)$")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			listed[m[1]] = m[2]
		}
	}
	return listed
}

// corpus lists the units of the golden corpus, relative to testdata/units.
func corpus(t *testing.T) []string {
	t.Helper()
	var units []string
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".socket") {
			rel, _ := filepath.Rel(corpusDir, p)
			units = append(units, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(units)
	return units
}

// readGolden reads the stored golden lines of a unit.
func readGolden(t *testing.T, unit string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, unit+".txt"))
	if err != nil {
		t.Fatalf("no golden output for %s (go run ./testdata/gen golden): %v", unit, err)
	}
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestGolden compares sockvisor's findings with systemd 252's on every unit of the corpus: the
// agreement must be at least 99% and every difference must be listed, with its reason, in
// testdata/golden/DIFFERENCES.md.
func TestGolden(t *testing.T) {
	units := corpus(t)
	var real, broken int
	for _, u := range units {
		if strings.HasPrefix(u, "real/") {
			real++
		} else {
			broken++
		}
	}
	if real < 150 || broken < 300 {
		t.Errorf("corpus has %d real and %d broken units; want at least 150 and 300", real, broken)
	}
	listed := listedDifferences(t)
	used := map[string]bool{}
	start := time.Now()
	var goldenTotal, oursTotal, matched int
	for _, u := range units {
		path := filepath.Join(corpusDir, u)
		lines := readLines(t, path)
		g := goldenFindings(t, readGolden(t, u), lines)
		diags, err := Verify(path, Options{})
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		o := ourFindings(diags, filepath.Base(u), lines)
		m, diffs := compare(u, g, o)
		goldenTotal += len(g)
		oursTotal += len(o)
		matched += m
		for _, d := range diffs {
			key := d.String()
			if _, ok := listed[key]; !ok {
				t.Errorf("unlisted difference: - %s: (reason?)", key)
			}
			used[key] = true
		}
	}
	elapsed := time.Since(start)
	union := goldenTotal + oursTotal - matched
	agreement := 1.0
	if union > 0 {
		agreement = float64(matched) / float64(union)
	}
	t.Logf("%d units (%d real, %d broken) in %v: %d systemd findings, %d sockvisor findings, %d matched, agreement %.2f%%",
		len(units), real, broken, elapsed.Round(time.Millisecond), goldenTotal, oursTotal, matched, 100*agreement)
	if agreement < minAgreement {
		t.Errorf("agreement %.2f%% is below %.0f%%", 100*agreement, 100*minAgreement)
	}
	for k := range listed {
		if !used[k] {
			t.Logf("DIFFERENCES.md lists %s, which no longer occurs", k)
		}
	}
}

// TestGoldenLive re-runs systemd-analyze on a sample of the corpus and compares with the stored
// golden output, so that drift of the oracle (or of the corpus) is caught.
func TestGoldenLive(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipping: needs systemd-analyze (systemd 252) to regenerate the golden output live")
	}
	units := corpus(t)
	for i := 0; i < len(units); i += liveSampleStep {
		u := units[i]
		abs, err := filepath.Abs(filepath.Join(corpusDir, u))
		if err != nil {
			t.Fatal(err)
		}
		got := goldenanalyze.Run(bin, filepath.Dir(abs), filepath.Base(abs))
		want := readGolden(t, u)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: systemd-analyze now prints\n%s\nstored golden output:\n%s\n(regenerate with go run ./testdata/gen golden)",
				u, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
