package socketunit

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/keys.md)")

// systemdItems returns systemd's key list per section from --dump-configuration-items.
func systemdItems(t *testing.T) map[string][]string {
	t.Helper()
	bin := "/lib/systemd/systemd"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("skipping: needs /lib/systemd/systemd (systemd 252) for --dump-configuration-items")
	}
	out, err := exec.Command(bin, "--dump-configuration-items").Output()
	if err != nil {
		t.Fatalf("systemd --dump-configuration-items: %v", err)
	}
	items := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = l[1 : len(l)-1]
			continue
		}
		if k, _, ok := strings.Cut(l, "="); ok && section != "" {
			items[section] = append(items[section], k)
		}
	}
	return items
}

// TestKeyTableMatchesSystemd checks that the table holds every key systemd 252 accepts in the
// sections of socket and service units, and nothing else except the newer keys it marks.
func TestKeyTableMatchesSystemd(t *testing.T) {
	items := systemdItems(t)
	for _, section := range []string{"Unit", "Socket", "Service", "Install"} {
		if len(items[section]) < 5 {
			t.Fatalf("systemd lists %d keys for [%s]", len(items[section]), section)
		}
		known := map[string]bool{}
		for _, k := range items[section] {
			known[k] = true
			if lookupKey(section, k) == nil {
				t.Errorf("[%s] %s= is accepted by systemd 252 but missing from the table", section, k)
			}
		}
		for _, k := range Keys() {
			if k.Sections&sectionByName(section) == 0 || known[k.Name] {
				continue
			}
			if k.Since == "" && !removedKeys[k.Name] {
				t.Errorf("[%s] %s= is in the table but not accepted by systemd 252, and has no Since", section, k.Name)
			}
		}
	}
}

func TestKeyTableRows(t *testing.T) {
	newer := map[string]bool{}
	for _, k := range Keys() {
		if k.Name == "" || k.Sections == 0 {
			t.Errorf("bad row %+v", k)
		}
		if k.Applied && k.apply == nil {
			t.Errorf("%s= is marked applied but has no parser", k.Name)
		}
		if k.Since != "" {
			newer[k.Name] = true
		}
	}
	for _, name := range []string{"PollLimitIntervalSec", "PollLimitBurst", "PassFileDescriptorsToExec", "PassPIDFD",
		"AcceptFileDescriptors", "DeferTrigger", "DeferTriggerMaxSec"} {
		if !newer[name] {
			t.Errorf("%s= should be in the table as a key newer than systemd 252", name)
		}
	}
}

// keysMarkdown renders the key table as the documentation page docs/keys.md.
func keysMarkdown() string {
	var b strings.Builder
	b.WriteString("# Unit-file keys\n\n")
	b.WriteString("Generated from the key table in `socketunit/keys*.go` by\n")
	b.WriteString("`go test ./socketunit -run TestKeysDoc -update`; do not edit by hand.\n\n")
	b.WriteString("Every key systemd 252 accepts in socket and service units is recognised. \"applied\" says whether\n")
	b.WriteString("sockvisor acts on it; `sockvisor verify` reports the others as accepted but not applied. Keys\n")
	b.WriteString("newer than systemd 252 are applied, and verify notes that systemd 252 would ignore them.\n")
	for _, sec := range []Section{SectionSocket, SectionService, SectionSocket | SectionService, SectionUnit, SectionInstall} {
		title := map[Section]string{
			SectionSocket: "[Socket]", SectionService: "[Service]", SectionSocket | SectionService: "[Socket] and [Service] (exec, kill, resource control)",
			SectionUnit: "[Unit]", SectionInstall: "[Install]",
		}[sec]
		fmt.Fprintf(&b, "\n## %s\n\n| key | value | default | empty resets | repeats | applied | what |\n|---|---|---|---|---|---|---|\n", title)
		for _, k := range Keys() {
			if k.Sections != sec {
				continue
			}
			yn := func(v bool) string {
				if v {
					return "yes"
				}
				return ""
			}
			applied := yn(k.Applied)
			if k.Since != "" {
				applied += " (systemd " + k.Since + ")"
			}
			fmt.Fprintf(&b, "| `%s=` | %s | %s | %s | %s | %s | %s |\n", k.Name, strings.ReplaceAll(k.Value, "|", "\\|"), k.Default, yn(k.Resets), yn(k.Repeats), applied, k.Doc)
		}
	}
	return b.String()
}

// TestKeysDoc keeps docs/keys.md in sync with the table.
func TestKeysDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "keys.md")
	want := keysMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./socketunit -run TestKeysDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/keys.md is out of date with the key table; run: go test ./socketunit -run TestKeysDoc -update")
	}
}
