// Package analyze runs systemd-analyze verify on one unit of the golden corpus and normalises
// its output, for the corpus generator (testdata/gen) and socketunit's golden test.
//
// Normalisation (also written down in testdata/golden/README.md):
//   - systemd-analyze runs in the unit's directory; the directory prefix of every absolute path
//     is removed, so lines read "NAME.socket:LINE: message" or "NAME.socket: message";
//   - empty lines are dropped;
//   - a line that 252 prints without any location but that is about the unit
//     ("Accepting user/group name '…', which does not match strict user/group name rules.")
//     gets the unit name as its location: "NAME.socket: Accepting …";
//   - only lines about the unit file itself are kept: lines about other units or files (the
//     matching service, units named in dependencies) go, and so do the summary lines that
//     begin with "Unit NAME " (they repeat a refusal already reported);
//   - "NAME: Failed to create NAME/start: Unit X not found." goes: it is about a unit outside
//     the corpus (a dependency such as a target of the package), not about the unit.
package analyze

import (
	"os/exec"
	"strings"
)

// Run runs `systemd-analyze verify --man=no ./NAME` in dir and returns the normalised lines.
// The exit status is not part of the result.
func Run(bin, dir, name string) []string {
	cmd := exec.Command(bin, "verify", "--man=no", "./"+name)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0", "LC_ALL=C")
	out, _ := cmd.CombinedOutput()
	return Normalize(string(out), dir, name)
}

// Normalize applies the rules of the package comment to the output of systemd-analyze verify
// for the unit dir/name.
func Normalize(out, dir, name string) []string {
	var lines []string
	notFound := name + ": Failed to create " + name + "/start: Unit "
	for _, l := range strings.Split(out, "\n") {
		l = strings.ReplaceAll(strings.TrimRight(l, "\r"), dir+"/", "")
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "Accepting user/group name '"):
			l = name + ": " + l
		case !strings.HasPrefix(l, name+":"):
			continue
		case strings.HasPrefix(l, notFound) && strings.HasSuffix(l, " not found."):
			continue
		}
		lines = append(lines, l)
	}
	return lines
}
