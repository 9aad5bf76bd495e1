package socketunit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyOwnFindings(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mydaemon"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "notexec"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"web.socket": "[Socket]\nListenStream=80\nListenStream=[::1]:443\nListenStream=8080\nListenDatagram=53\nListenStream=/run/w.sk\n" +
			"ExecStartPre=-" + filepath.Join(bin, "notexec") + "\n",
		"web.service": "[Service]\nExecStartPre=mydaemon --check\nExecStartPre=nosuchcmd\nExecStart=" + bin + " -x\nExecStop=-/no/such/file\n",
	})
	env := verifyEnv{lowPorts: func() (int, bool) { return 1024, false }, searchPath: []string{bin}}
	diags, err := verifyWith(filepath.Join(dir, "web.socket"), noSearch, env)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diags {
		if !d.Own || d.Severity != SeverityWarning {
			t.Errorf("unexpected finding %v (own %v, %v)", d, d.Own, d.Severity)
			continue
		}
		got = append(got, strings.TrimPrefix(d.File, dir+"/")+":"+d.Key+":"+strings.Fields(d.Message)[0]+" "+strings.Fields(d.Message)[1])
	}
	want := []string{
		"web.socket:ListenStream:port 80",
		"web.socket:ListenStream:port 443",
		"web.socket:ListenDatagram:port 53",
		"web.socket:ExecStartPre:ExecStartPre= command",
		"web.service:ExecStartPre:ExecStartPre= command",
		"web.service:ExecStart:ExecStart= command",
		"web.service:ExecStop:ExecStop= command",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s\n(all: %v)", strings.Join(got, "\n"), strings.Join(want, "\n"), diags)
	}
	for _, d := range diags {
		if d.Key == "ExecStart" && !strings.Contains(d.Message, "is a directory") {
			t.Errorf("ExecStart on a directory: %q", d.Message)
		}
		if strings.Contains(d.Message, "nosuchcmd") && !strings.Contains(d.Message, "is not found in "+bin) {
			t.Errorf("missing command: %q", d.Message)
		}
	}

	// With the capability (or as root) low ports are fine.
	env.lowPorts = func() (int, bool) { return 1024, true }
	diags, _ = verifyWith(filepath.Join(dir, "web.socket"), noSearch, env)
	for _, d := range diags {
		if strings.HasPrefix(d.Message, "port ") {
			t.Errorf("privileged: %v", d)
		}
	}
}

func TestVerifySocketCommands(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.service": trueService,
		"data":      "not a program",
	})
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(filepath.Join(dir, "x.socket"),
		[]byte("[Socket]\nListenStream=1\nExecStartPre=true\nExecStartPost=/no/such\nExecStopPre=-/no/such2\nExecStopPost="+data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := verifyEnv{lowPorts: func() (int, bool) { return 1024, true }, searchPath: []string{"/usr/bin", "/bin"}}
	diags, err := verifyWith(filepath.Join(dir, "x.socket"), noSearch, env)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diags {
		got = append(got, strings.TrimPrefix(d.String(), dir+"/"))
	}
	want := []string{
		"x.socket:5: sockvisor: ExecStopPre= command /no/such2 cannot be run (No such file or directory): it will fail when started",
		"x.socket: Command /no/such is not executable: No such file or directory",
		"x.socket: Command " + data + " is not executable: Permission denied",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
